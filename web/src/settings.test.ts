import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, loadSettings, parseSettings, saveSettings, wakeWordChosen, wakeWordRequested } from "./settings";

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

  it("follow the server's wake-word default until chosen, and ask for it only in hands-free mode", () => {
    expect(DEFAULT_SETTINGS.wakeWord).toBeNull();
    expect(parseSettings(JSON.stringify({ wakeWord: "yes" })).wakeWord).toBeNull();
    expect(parseSettings(JSON.stringify({ wakeWord: false })).wakeWord).toBe(false);
    const on = { available: true, enabled: false };
    const chosen = { ...DEFAULT_SETTINGS, listening: "hands-free", wakeWord: true } as const;
    expect(wakeWordRequested(chosen, on)).toBe(true);
    expect(wakeWordRequested(chosen, { available: false, enabled: true })).toBe(false); // no wake-word model
    expect(wakeWordRequested(chosen, undefined)).toBe(false); // not known yet
    expect(wakeWordRequested({ ...chosen, listening: "push-to-talk" }, on)).toBe(false);
    expect(wakeWordRequested({ ...chosen, wakeWord: false }, { available: true, enabled: true })).toBe(false);
    const undecided = { ...chosen, wakeWord: null };
    expect(wakeWordRequested(undecided, { available: true, enabled: true })).toBe(true);
    expect(wakeWordRequested(undecided, on)).toBe(false);
    expect(wakeWordChosen(undecided, { available: true, enabled: true })).toBe(true);
  });

  it("ignore corrupt or out-of-range values", () => {
    expect(parseSettings("{not json")).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings(JSON.stringify({ language: "de", speed: 9, listening: "x", voice: 3 }))).toEqual(DEFAULT_SETTINGS);
  });
});
