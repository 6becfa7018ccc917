import { useState } from "react";
import { formatSeconds, formatTime, useI18n } from "../i18n";
import type { ChatMessage } from "../protocol";
import { Icon } from "./Icon";
import { Markdown } from "./Markdown";

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}

export function TimingStrip({ message }: { message: ChatMessage }) {
  const { t, language } = useI18n();
  const timings = message.timings ?? {};
  const items: [string, string | null][] = [
    [t.timingStt, formatSeconds(timings.stt_seconds, language)],
    [t.timingLlm, formatSeconds(timings.llm_first_token_seconds, language)],
    [t.timingAudio, formatSeconds(timings.first_audio_seconds, language)],
    [t.timingTotal, formatSeconds(timings.total_seconds, language)],
    [t.audioReceived, message.audioSeconds ? formatSeconds(message.audioSeconds, language) : null],
  ];
  const shown = items.filter((item): item is [string, string] => item[1] !== null);
  if (shown.length === 0) return null;
  return (
    <dl className="timings" aria-label="timings">
      {shown.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

interface Props {
  message: ChatMessage;
  canRetry: boolean;
  onRetry: (key: string) => void;
}

export function MessageView({ message, canRetry, onRetry }: Props) {
  const { t, language } = useI18n();
  const [copied, setCopied] = useState(false);
  const mine = message.role === "user";
  const streaming = message.status === "streaming";
  const who = mine ? t.you : t.jarvis;
  return (
    <article
      className={`message ${message.role} status-${message.status}`}
      aria-label={who}
      aria-busy={streaming || undefined}
      data-status={message.status}
    >
      <header className="message-head">
        <span className="who">
          {who}
          {mine && message.voice && (
            <span className="badge">
              <Icon name="mic" size={12} /> {t.heard}
            </span>
          )}
        </span>
        <time dateTime={message.createdAt} className="muted small">
          {formatTime(message.createdAt, language)}
        </time>
      </header>
      <div className="message-body">
        {mine ? (
          message.content ? (
            <p className="plain">{message.content}</p>
          ) : (
            <p className="muted">{t.recognizing}</p>
          )
        ) : message.content ? (
          <Markdown text={message.content} />
        ) : streaming ? (
          <p className="typing" aria-label="…">
            <span />
            <span />
            <span />
          </p>
        ) : null}
      </div>
      {message.error && (
        <p className="error-text" role="alert">
          {t.errorPrefix} ({message.error.code}) : {message.error.message}
        </p>
      )}
      {message.status === "cancelled" && <p className="muted small">{t.cancelled}</p>}
      {!mine && !streaming && (
        <footer className="message-actions">
          <TimingStrip message={message} />
          <span className="action-buttons">
            {message.content && (
              <button
                type="button"
                className="link-button"
                onClick={() => void copyText(message.content).then((ok) => ok && setCopied(true))}
                onBlur={() => setCopied(false)}
              >
                {copied ? t.copied : t.copy}
              </button>
            )}
            {canRetry && (
              <button type="button" className="link-button" onClick={() => onRetry(message.key)}>
                {t.retry}
              </button>
            )}
          </span>
        </footer>
      )}
      {mine && message.status === "failed" && canRetry && (
        <footer className="message-actions">
          <button type="button" className="link-button" onClick={() => onRetry(message.key)}>
            {t.retry}
          </button>
        </footer>
      )}
    </article>
  );
}
