import type { HomeStatus } from "../api";
import { useI18n } from "../i18n";
import { homeSummary } from "../status";
import { Icon } from "./Icon";

/** Home Assistant in the status area: connected (with its entity count), connecting, failing, or not set up. */
export function HomeBadge({ home }: { home: HomeStatus | null | undefined }) {
  const { t } = useI18n();
  const summary = homeSummary(home, t);
  return (
    <details className={`status home-status tone-${summary.tone}`} data-state={home?.status ?? "unknown"}>
      <summary aria-label={summary.text} title={summary.text}>
        <Icon name="home" size={16} />
        <span className="dot" aria-hidden="true" />
        <span className="status-label">{summary.text}</span>
      </summary>
      <div className="status-list" aria-live="polite">
        <p>{summary.text}</p>
        {summary.detail && (
          <p className="muted">
            {home?.status === "connected" ? `Home Assistant ${t.homeVersion} ${summary.detail}` : summary.detail}
          </p>
        )}
      </div>
    </details>
  );
}
