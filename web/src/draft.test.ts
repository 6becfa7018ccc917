import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DraftSender, type DraftFrame } from "./draft";

describe("DraftSender", () => {
  let sent: DraftFrame[];
  let drafts: DraftSender;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    drafts = new DraftSender((frame) => {
      sent.push(frame);
      return true;
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the text once typing pauses", () => {
    drafts.update("Quel", "c1");
    vi.advanceTimersByTime(100);
    drafts.update("Quelle heure", "c1");
    vi.advanceTimersByTime(299);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ type: "draft", text: "Quelle heure", conversation_id: "c1" }]);
  });

  it("skips short and unchanged texts", () => {
    drafts.update("Qu", null);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
    drafts.update("Bonjour ", null);
    vi.advanceTimersByTime(300);
    drafts.update(" Bonjour", null);
    vi.advanceTimersByTime(300);
    expect(sent).toEqual([{ type: "draft", text: "Bonjour", conversation_id: null }]);
  });

  it("drops what is pending when the message is sent, and sends the same text again afterwards", () => {
    drafts.update("Bonjour", null);
    vi.advanceTimersByTime(300);
    drafts.update("Bonjour Jarvis", null);
    drafts.reset();
    vi.advanceTimersByTime(1000);
    expect(sent.map((frame) => frame.text)).toEqual(["Bonjour"]);
    drafts.update("Bonjour", "c2");
    vi.advanceTimersByTime(300);
    expect(sent.map((frame) => frame.text)).toEqual(["Bonjour", "Bonjour"]);
  });

  it("sends the same text again when the socket was closed the first time", () => {
    let open = false;
    const frames: DraftFrame[] = [];
    const sender = new DraftSender((frame) => open && frames.push(frame) > 0);
    sender.update("Bonjour", null);
    vi.advanceTimersByTime(300);
    expect(frames).toEqual([]);
    open = true;
    sender.update("Bonjour", null);
    vi.advanceTimersByTime(300);
    expect(frames).toEqual([{ type: "draft", text: "Bonjour", conversation_id: null }]);
  });
});
