// User settings, kept in this browser (localStorage).

export type Language = "fr" | "en";
export type ListeningMode = "push-to-talk" | "hands-free";

export interface Settings {
  language: Language;
  voice: string | null; // null: the server's default voice
  speed: number; // 0.5–2.0
  listening: ListeningMode;
  speakTyped: boolean; // also speak replies to typed messages
  // Hands-free: wait for « Hey Jarvis » before listening (when the server has the wake word); null: the server's
  // default (setting wake_word.enabled) until the user chooses.
  wakeWord: boolean | null;
}

export const DEFAULT_SETTINGS: Settings = {
  language: "fr",
  voice: null,
  speed: 1,
  listening: "push-to-talk",
  speakTyped: false,
  wakeWord: null,
};

const KEY = "jarvis.settings";

/** Stored settings, each checked: anything missing or invalid falls back to its default. */
export function parseSettings(raw: string | null): Settings {
  let value: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (typeof parsed === "object" && parsed !== null) value = parsed as Record<string, unknown>;
  } catch {
    // corrupt: defaults
  }
  const speed = typeof value.speed === "number" && value.speed >= 0.5 && value.speed <= 2 ? value.speed : 1;
  return {
    language: value.language === "en" ? "en" : "fr",
    voice: typeof value.voice === "string" && value.voice ? value.voice : null,
    speed,
    listening: value.listening === "hands-free" ? "hands-free" : "push-to-talk",
    speakTyped: value.speakTyped === true,
    wakeWord: typeof value.wakeWord === "boolean" ? value.wakeWord : null,
  };
}

export function loadSettings(storage: Pick<Storage, "getItem"> = localStorage): Settings {
  try {
    return parseSettings(storage.getItem(KEY));
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(settings: Settings, storage: Pick<Storage, "setItem"> = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // private mode or full storage: the settings last for this page only
  }
}

/** The server's wake word, as GET /api/voice/wake-word describes it (the parts the choice depends on). */
export interface WakeWordServer {
  available: boolean;
  enabled: boolean;
}

/** Whether the wake word is chosen: the user's choice, else the server's default. */
export function wakeWordChosen(settings: Settings, server: WakeWordServer | null | undefined): boolean {
  return server?.available === true && (settings.wakeWord ?? server.enabled);
}

/** The `wake_word` of a hands-free audio-start: chosen, and only when the server can honour it. */
export function wakeWordRequested(settings: Settings, server: WakeWordServer | null | undefined): boolean {
  return settings.listening === "hands-free" && wakeWordChosen(settings, server);
}
