import type { ReadyInfo } from "../api";
import { useI18n } from "../i18n";

export function StatusBadge({ ready }: { ready: ReadyInfo | null | undefined }) {
  const { t } = useI18n();
  const state = ready === undefined ? "loading" : ready === null ? "down" : ready.ready ? "ready" : "loading";
  // Home Assistant (optional) has its own badge: HomeBadge.
  const engines = Object.entries(ready?.components ?? {}).filter(([name]) => name !== "home_assistant");
  const failed = engines.some(([, c]) => !c.ready);
  const label = state === "ready" ? t.statusReady : state === "down" ? t.statusDown : t.statusLoading;
  return (
    <details className={`status status-${state}`}>
      <summary aria-label={`${t.status} : ${label}`}>
        <span className="dot" aria-hidden="true" />
        <span className="status-label">{label}</span>
      </summary>
      {engines.length > 0 && (
        <ul className="status-list">
          {engines.map(([name, component]) => (
            <li key={name} className={component.ready ? "ok" : failed ? "ko" : undefined}>
              <span aria-hidden="true">{component.ready ? "✓" : "…"}</span> {t.components[name] ?? name} —{" "}
              <span className="muted">{component.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
