// The status area: the Home Assistant connection (an optional component) next to the engines.
import type { HomeStatus, ReadyInfo } from "./api";
import type { Messages } from "./i18n";

/** ok: working; pending: on its way; error: configured but not working; off: not set up (not an error). */
export type Tone = "ok" | "pending" | "error" | "off";

export interface HomeSummary {
  tone: Tone;
  /** Short, for the top bar: « Maison : connectée (24 entités) ». */
  text: string;
  /** Why it does not work, from the server (empty when there is nothing to add). */
  detail: string;
}

/** What the status area says about Home Assistant; `undefined` while the first answer is awaited. */
export function homeSummary(home: HomeStatus | null | undefined, t: Messages): HomeSummary {
  if (home === undefined) return { tone: "pending", text: `${t.home}${t.colon}${t.homeStates.connecting}`, detail: "" };
  if (home === null) return { tone: "error", text: `${t.home}${t.colon}${t.homeStates.unknown}`, detail: "" };
  const state = t.homeStates[home.status] ?? home.status;
  switch (home.status) {
    case "connected":
      return { tone: "ok", text: `${t.home}${t.colon}${state} (${t.homeEntities(home.entities)})`, detail: home.version ?? "" };
    case "connecting":
      return { tone: "pending", text: `${t.home}${t.colon}${state}`, detail: "" };
    case "not-configured":
      return { tone: "off", text: `${t.home}${t.colon}${state}`, detail: t.homeNotConfiguredHelp };
    default:
      return { tone: "error", text: `${t.home}${t.colon}${state}`, detail: home.detail };
  }
}

export type EngineState = "ready" | "loading" | "failed" | "down";

/** The engines' state: undefined before the first answer, null when the server could not be asked. A required
 * component that failed (model missing, LLM server unreachable) is a failure, not a load that never ends. */
export function engineState(ready: ReadyInfo | null | undefined): EngineState {
  if (ready === undefined) return "loading";
  if (ready === null) return "down";
  if (ready.ready) return "ready";
  const failed = Object.values(ready.components).some((c) => c.required !== false && c.failed === true);
  return failed ? "failed" : "loading";
}
