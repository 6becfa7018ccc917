import { useEffect, useRef } from "react";
import type { WakeWordInfo } from "../api";
import { useI18n } from "../i18n";
import { wakeWordChosen, type Settings } from "../settings";

interface Props {
  open: boolean;
  settings: Settings;
  voices: string[];
  defaultVoice: string | null;
  /** The server's wake word: undefined while asked, null when the question failed. */
  wake: WakeWordInfo | null | undefined;
  onChange: (settings: Settings) => void;
  onClose: () => void;
}

export function SettingsDialog({ open, settings, voices, defaultVoice, wake, onChange, onClose }: Props) {
  const { t, language } = useI18n();
  const speed = settings.speed.toFixed(1);
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  const wakeAvailable = wake?.available === true;
  const wakeHint =
    wake === undefined
      ? t.wakeChecking
      : !wakeAvailable
        ? `${t.wakeUnavailable}${wake?.detail ? ` : ${wake.detail}` : "."}`
        : settings.listening !== "hands-free"
          ? t.wakeHandsFreeOnly
          : t.wakeHelp;

  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => onChange({ ...settings, [key]: value });

  return (
    <dialog ref={ref} className="settings" aria-labelledby="settings-title" onClose={onClose}>
      <form method="dialog" className="settings-form">
        <h2 id="settings-title">{t.settings}</h2>
        <label>
          {t.language}
          <select value={settings.language} onChange={(e) => set("language", e.target.value === "en" ? "en" : "fr")}>
            <option value="fr">Français</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>
          {t.voice}
          <select value={settings.voice ?? ""} onChange={(e) => set("voice", e.target.value || null)}>
            <option value="">
              {t.defaultVoice}
              {defaultVoice ? ` (${defaultVoice})` : ""}
            </option>
            {voices.map((voice) => (
              <option key={voice} value={voice}>
                {voice}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.speed} : <output>{language === "fr" ? speed.replace(".", ",") : speed}×</output>
          <input
            type="range"
            min={0.5}
            max={2}
            step={0.1}
            value={settings.speed}
            onChange={(e) => set("speed", Number(e.target.value))}
          />
        </label>
        <fieldset>
          <legend>{t.listeningMode}</legend>
          <label className="inline">
            <input
              type="radio"
              name="listening"
              checked={settings.listening === "push-to-talk"}
              onChange={() => set("listening", "push-to-talk")}
            />
            {t.pushToTalk}
          </label>
          <label className="inline">
            <input
              type="radio"
              name="listening"
              checked={settings.listening === "hands-free"}
              onChange={() => set("listening", "hands-free")}
            />
            {t.handsFree}
          </label>
          <label className="inline wake-option" data-available={wakeAvailable}>
            <input
              type="checkbox"
              checked={wakeWordChosen(settings, wake)}
              disabled={!wakeAvailable || settings.listening !== "hands-free"}
              aria-describedby="wake-hint"
              onChange={(e) => set("wakeWord", e.target.checked)}
            />
            {t.wakeWord}
          </label>
          <p id="wake-hint" className={`hint ${wake && !wakeAvailable ? "error-text" : "muted"}`}>
            {wakeHint}
          </p>
        </fieldset>
        <label className="inline">
          <input type="checkbox" checked={settings.speakTyped} onChange={(e) => set("speakTyped", e.target.checked)} />
          {t.speakTyped}
        </label>
        <div className="dialog-buttons">
          <button type="submit" value="close">
            {t.close}
          </button>
        </div>
      </form>
    </dialog>
  );
}
