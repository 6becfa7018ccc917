import { describe, expect, it } from "vitest";
import { chatReducer, emptyChat, parseEvent, retryText, type ChatState, type ServerEvent } from "./protocol";

const NOW = "2026-11-22T06:00:00.000Z";
const run = (state: ChatState, ...events: ServerEvent[]) =>
  events.reduce((s, event) => chatReducer(s, { kind: "event", event, now: NOW }), state);

describe("parseEvent", () => {
  it("accepts known events and ignores the rest", () => {
    expect(parseEvent('{"type": "llm-delta", "run_id": "r", "text": "Bon"}')).toEqual({
      type: "llm-delta",
      run_id: "r",
      text: "Bon",
    });
    expect(parseEvent("{oops")).toBeNull();
    expect(parseEvent("[1]")).toBeNull();
    expect(parseEvent('{"type": "future-event"}')).toBeNull();
    expect(parseEvent("null")).toBeNull();
  });
});

describe("chatReducer: a typed turn", () => {
  const sent = chatReducer(emptyChat, { kind: "send", text: "Bonjour", now: NOW, key: "k1" });

  it("streams the reply and ends with the stored ids and timings", () => {
    const state = run(
      sent,
      { type: "run-start", run_id: "r1", conversation_id: "c1", user_message_id: "u1" },
      { type: "llm-delta", run_id: "r1", text: "Bonjour" },
      { type: "llm-delta", run_id: "r1", text: " !" },
    );
    expect(state.runId).toBe("r1");
    expect(state.conversationId).toBe("c1");
    expect(state.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ["user", "Bonjour", "complete"],
      ["assistant", "Bonjour !", "streaming"],
    ]);
    expect(state.messages[0].id).toBe("u1");
    const ended = run(state, {
      type: "run-end",
      run_id: "r1",
      conversation_id: "c1",
      message_id: "a1",
      reply: "Bonjour !",
      status: "complete",
      timings: { llm_first_token_seconds: 0.2 },
    });
    expect(ended.runId).toBeNull();
    expect(ended.messages[1]).toMatchObject({ id: "a1", status: "complete", timings: { llm_first_token_seconds: 0.2 } });
  });

  it("a refused message (no run) is marked failed with the server's message", () => {
    const state = run(sent, { type: "error", run_id: null, code: "llm-busy", message: "Jarvis est occupé" });
    expect(state.messages[0].status).toBe("failed");
    expect(state.notice).toEqual({ code: "llm-busy", message: "Jarvis est occupé" });
    expect(chatReducer(state, { kind: "dismiss" }).notice).toBeNull();
  });

  it("an error inside a run stays on that reply", () => {
    const state = run(
      sent,
      { type: "run-start", run_id: "r1", conversation_id: "c1", user_message_id: "u1" },
      { type: "error", run_id: "r1", code: "llm-failed", message: "échec" },
      { type: "run-end", run_id: "r1", conversation_id: "c1", message_id: null, reply: "", status: "failed", timings: {} },
    );
    expect(state.notice).toBeNull();
    expect(state.messages[1]).toMatchObject({ status: "failed", error: { code: "llm-failed" } });
  });

  it("a lost connection fails the running turn", () => {
    const state = chatReducer(
      run(sent, { type: "run-start", run_id: "r1", conversation_id: "c1", user_message_id: "u1" }),
      { kind: "disconnected", message: "perdu" },
    );
    expect(state.runId).toBeNull();
    expect(state.messages[1].status).toBe("failed");
  });
});

describe("chatReducer: a spoken turn", () => {
  const listening = chatReducer(emptyChat, { kind: "listening", listening: "ready" });

  it("shows speech, then what was heard, then the spoken reply", () => {
    let state = run(listening, { type: "vad-start" });
    expect(state.listening).toBe("speech");
    state = run(state, { type: "vad-end", seconds: 1.2 });
    expect(state.listening).toBe("recognizing");
    state = run(
      state,
      { type: "run-start", run_id: "r2", conversation_id: "c2", user_message_id: null },
      { type: "stt-end", run_id: "r2", text: "quel temps fait-il", language: "fr", user_message_id: "u2" },
      { type: "tts-start", run_id: "r2", rate: 24000, channels: 1, width: 2, encoding: "pcm_s16le" },
      { type: "llm-delta", run_id: "r2", text: "Il fait beau." },
    );
    expect(state.listening).toBe("ready");
    expect(state.messages[0]).toMatchObject({ role: "user", content: "quel temps fait-il", voice: true, id: "u2" });
    expect(state.messages[1]).toMatchObject({ role: "assistant", voice: true, content: "Il fait beau." });
    state = chatReducer(state, { kind: "audio", runId: "r2", seconds: 1.5 });
    expect(state.messages[1].audioSeconds).toBe(1.5);
  });

  it("a barge-in keeps only what was heard of the reply", () => {
    const state = run(
      listening,
      { type: "run-start", run_id: "r3", conversation_id: "c3", user_message_id: null },
      { type: "stt-end", run_id: "r3", text: "raconte", language: "fr", user_message_id: "u3" },
      { type: "llm-delta", run_id: "r3", text: "Il était une fois un roi. Il avait" },
      { type: "vad-start" },
      { type: "error", run_id: "r3", code: "cancelled", message: "Génération annulée." },
      {
        type: "run-end",
        run_id: "r3",
        conversation_id: "c3",
        message_id: "a3",
        reply: "Il était une fois un roi.",
        status: "cancelled",
        timings: {},
      },
    );
    expect(state.messages[1]).toMatchObject({ status: "cancelled", content: "Il était une fois un roi." });
    expect(state.messages[1].error).toBeUndefined(); // interrupted is not an error
    expect(state.notice).toBeNull();
    expect(state.listening).toBe("speech");
  });

  it("no speech leaves no trace in the chat", () => {
    const state = run(
      listening,
      { type: "run-start", run_id: "r4", conversation_id: "c4", user_message_id: null },
      { type: "stt-no-speech", run_id: "r4" },
      { type: "run-end", run_id: "r4", conversation_id: "c4", message_id: null, reply: "", status: "no-speech", timings: {} },
    );
    expect(state.messages).toEqual([]);
    expect(state.runId).toBeNull();
  });
});

describe("retryText", () => {
  it("finds the question before a reply", () => {
    const state = run(
      chatReducer(emptyChat, { kind: "send", text: "Question ?", now: NOW, key: "k" }),
      { type: "run-start", run_id: "r", conversation_id: "c", user_message_id: "u" },
    );
    expect(retryText(state.messages, "reply-r")).toBe("Question ?");
    expect(retryText(state.messages, "k")).toBe("Question ?");
    expect(retryText([], "x")).toBeNull();
  });
});

describe("chatReducer: hands-free behind the wake word", () => {
  const waiting = chatReducer(emptyChat, { kind: "listening", listening: "wake" });
  const listen = (state: ChatState) => state.listening;

  it("waits for the wake word, listens after it, and waits again after the utterance", () => {
    expect(waiting.wakeMode).toBe(true);
    expect(parseEvent('{"type": "wake-word", "model": "hey_jarvis", "score": 0.93}')).toEqual({
      type: "wake-word",
      model: "hey_jarvis",
      score: 0.93,
    });
    const awake = run(waiting, { type: "wake-word", model: "hey_jarvis", score: 0.93 });
    expect(listen(awake)).toBe("ready");
    const speaking = run(awake, { type: "vad-start" });
    expect(listen(speaking)).toBe("speech");
    const heard = run(
      speaking,
      { type: "vad-end", seconds: 1.4 },
      { type: "run-start", run_id: "r1", conversation_id: "c1", user_message_id: null },
    );
    expect(listen(heard)).toBe("recognizing");
    const done = run(heard, {
      type: "stt-end",
      run_id: "r1",
      text: "quel temps fait-il",
      language: "fr",
      user_message_id: "u1",
    });
    expect(listen(done)).toBe("wake");
    expect(done.messages[0].content).toBe("quel temps fait-il");
    // Nothing understood: back to the wake word as well.
    expect(listen(run(heard, { type: "stt-no-speech", run_id: "r1" }))).toBe("wake");
  });

  it("goes back to waiting when nobody speaks after the wake word, and not otherwise", () => {
    const awake = run(waiting, { type: "wake-word", model: "hey_jarvis", score: 0.8 });
    expect(chatReducer(awake, { kind: "wake-timeout" }).listening).toBe("wake");
    const speaking = run(awake, { type: "vad-start" });
    expect(chatReducer(speaking, { kind: "wake-timeout" })).toBe(speaking);
    // Plain hands-free (no wake word): a timeout changes nothing, an utterance leads back to listening.
    const plain = chatReducer(emptyChat, { kind: "listening", listening: "ready" });
    expect(plain.wakeMode).toBe(false);
    expect(chatReducer(plain, { kind: "wake-timeout" })).toBe(plain);
    const after = run(
      plain,
      { type: "vad-start" },
      { type: "vad-end", seconds: 1 },
      { type: "run-start", run_id: "r2", conversation_id: "c1", user_message_id: null },
      { type: "stt-end", run_id: "r2", text: "bonjour", language: "fr", user_message_id: "u2" },
    );
    expect(after.listening).toBe("ready");
  });

  it("ignores a late wake word once listening is off, and keeps the mode across conversations", () => {
    const off = chatReducer(waiting, { kind: "listening", listening: "off" });
    expect(off.wakeMode).toBe(false);
    expect(run(off, { type: "wake-word", model: "hey_jarvis", score: 0.9 }).listening).toBe("off");
    const switched = chatReducer(waiting, { kind: "load", conversationId: "c9", messages: [] });
    expect(switched.wakeMode).toBe(true);
    expect(switched.listening).toBe("wake");
  });
});
