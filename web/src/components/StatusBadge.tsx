import type { ReadyInfo } from "../api";
import { useI18n } from "../i18n";
import { engineState } from "../status";

export function StatusBadge({ ready }: { ready: ReadyInfo | null | undefined }) {
  const { t } = useI18n();
  const state = engineState(ready);
  const label = { ready: t.statusReady, loading: t.statusLoading, failed: t.statusFailed, down: t.statusDown }[state];
  // Home Assistant (optional) has its own badge: HomeBadge.
  const engines = Object.entries(ready?.components ?? {}).filter(([name]) => name !== "home_assistant");
  return (
    <details className={`status status-${state}`}>
      <summary aria-label={`${t.status} : ${label}`}>
        <span className="dot" aria-hidden="true" />
        <span className="status-label">{label}</span>
      </summary>
      {engines.length > 0 && (
        <ul className="status-list">
          {engines.map(([name, component]) => (
            <li key={name} className={component.ready ? "ok" : component.failed ? "ko" : undefined}>
              <span aria-hidden="true">{component.ready ? "✓" : component.failed ? "✗" : "…"}</span>{" "}
              {t.components[name] ?? name} — <span className="muted">{component.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
