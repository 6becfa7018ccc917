import { describe, expect, it } from "vitest";
import type { HomeStatus } from "./api";
import { MESSAGES } from "./i18n";
import { engineState, homeSummary } from "./status";

const fr = MESSAGES.fr;
const en = MESSAGES.en;
const status = (change: Partial<HomeStatus>): HomeStatus => ({
  configured: true,
  status: "connected",
  detail: "",
  version: "2026.11.1",
  entities: 24,
  ...change,
});

describe("homeSummary", () => {
  it("shows a connected Home Assistant with its entity count, in French and in English", () => {
    expect(homeSummary(status({}), fr)).toEqual({ tone: "ok", text: "Maison : connectée (24 entités)", detail: "2026.11.1" });
    expect(homeSummary(status({ entities: 1 }), fr).text).toBe("Maison : connectée (1 entité)");
    expect(homeSummary(status({ entities: 0 }), en).text).toBe("Home: connected (no entities)");
  });

  it("says why it is not working, and that no Home Assistant is not an error", () => {
    const down = homeSummary(
      status({ status: "unreachable", detail: "Je n'arrive pas à joindre Home Assistant.", version: null, entities: 0 }),
      fr,
    );
    expect(down).toEqual({ tone: "error", text: "Maison : injoignable", detail: "Je n'arrive pas à joindre Home Assistant." });
    expect(homeSummary(status({ status: "unauthorized" }), en).tone).toBe("error");
    expect(homeSummary(status({ status: "unauthorized" }), en).text).toBe("Home: token refused");
    expect(homeSummary(status({ status: "connecting" }), fr).tone).toBe("pending");
    const none = homeSummary({ configured: false, status: "not-configured", detail: "", version: null, entities: 0 }, fr);
    expect(none.tone).toBe("off");
    expect(none.text).toBe("Maison : non configurée");
    expect(none.detail).toContain("JARVIS_HOME_ASSISTANT__URL");
  });

  it("waits for the first answer, and reports a failed question", () => {
    expect(homeSummary(undefined, fr).tone).toBe("pending");
    expect(homeSummary(null, fr)).toEqual({ tone: "error", text: "Maison : état inconnu", detail: "" });
  });
});

describe("engineState", () => {
  const component = (ready: boolean, extra: { failed?: boolean; required?: boolean } = {}) => ({
    ready,
    detail: "",
    ...extra,
  });

  it("tells loading from failed, and ignores optional components", () => {
    expect(engineState(undefined)).toBe("loading");
    expect(engineState(null)).toBe("down");
    expect(engineState({ ready: true, components: { llm: component(true) } })).toBe("ready");
    expect(engineState({ ready: false, components: { llm: component(false), stt: component(true) } })).toBe("loading");
    const missingModel = { llm: component(false, { failed: true }), stt: component(true) };
    expect(engineState({ ready: false, components: missingModel })).toBe("failed");
    // Home Assistant down (optional) does not make the engines fail.
    const homeDown = { llm: component(false), home_assistant: component(false, { failed: true, required: false }) };
    expect(engineState({ ready: false, components: homeDown })).toBe("loading");
  });
});
