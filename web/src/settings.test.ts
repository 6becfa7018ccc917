import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, loadSettings, parseSettings, saveSettings, wakeWordRequested } from "./settings";

describe("settings", () => {
  it("default to French, push-to-talk, normal speed", () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.language).toBe("fr");
  });

  it("survive a round trip through storage", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const chosen = { language: "en", voice: "em_alex", speed: 1.3, listening: "hands-free", speakTyped: true, wakeWord: true } as const;
    saveSettings(chosen, storage);
    expect(loadSettings(storage)).toEqual(chosen);
  });

  it("keep the wake word off unless chosen, and ask the server for it only in hands-free mode", () => {
    expect(DEFAULT_SETTINGS.wakeWord).toBe(false);
    expect(parseSettings(JSON.stringify({ wakeWord: "yes" })).wakeWord).toBe(false);
    const chosen = { ...DEFAULT_SETTINGS, listening: "hands-free", wakeWord: true } as const;
    expect(wakeWordRequested(chosen, true)).toBe(true);
    expect(wakeWordRequested(chosen, false)).toBe(false); // the server has no wake-word model
    expect(wakeWordRequested({ ...chosen, listening: "push-to-talk" }, true)).toBe(false);
    expect(wakeWordRequested({ ...chosen, wakeWord: false }, true)).toBe(false);
  });

  it("ignore corrupt or out-of-range values", () => {
    expect(parseSettings("{not json")).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings(JSON.stringify({ language: "de", speed: 9, listening: "x", voice: 3 }))).toEqual(DEFAULT_SETTINGS);
  });
});
