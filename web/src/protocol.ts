// The event protocol of /ws (docs/protocol.md) and a pure reducer from events to what the chat shows.

export interface Timings {
  stt_seconds?: number;
  queue_seconds?: number;
  llm_first_token_seconds?: number;
  llm_seconds?: number;
  total_seconds?: number;
  first_audio_seconds?: number;
  tts_seconds?: number;
  tokens_per_second?: number;
  completion_tokens?: number;
  [key: string]: number | undefined;
}

export type ServerEvent =
  | { type: "wake-word"; model: string; score: number }
  | { type: "vad-start" }
  | { type: "vad-end"; seconds: number }
  | { type: "run-start"; run_id: string; conversation_id: string; user_message_id: string | null }
  | { type: "stt-end"; run_id: string; text: string; language: string; user_message_id: string | null }
  | { type: "stt-no-speech"; run_id: string }
  | { type: "tts-start"; run_id: string; rate: number; channels: number; width: number; encoding: string }
  | { type: "llm-delta"; run_id: string; text: string }
  | { type: "error"; run_id: string | null; code: string; message: string }
  | {
      type: "run-end";
      run_id: string;
      conversation_id: string;
      message_id: string | null;
      reply: string;
      status: "complete" | "cancelled" | "failed" | "no-speech";
      timings: Timings;
    };

const KNOWN = new Set([
  "wake-word",
  "vad-start",
  "vad-end",
  "run-start",
  "stt-end",
  "stt-no-speech",
  "tts-start",
  "llm-delta",
  "error",
  "run-end",
]);

/** A text frame from the server, or null when it is not an event this client knows (ignored, not fatal). */
export function parseEvent(raw: string): ServerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && KNOWN.has(type) ? (value as ServerEvent) : null;
}

export type MessageStatus = "pending" | "streaming" | "complete" | "cancelled" | "failed" | "no-speech";

export interface ChatMessage {
  key: string; // stable React key
  id: string | null; // stored id, once known
  role: "user" | "assistant";
  content: string;
  status: MessageStatus;
  createdAt: string;
  voice?: boolean; // spoken by the user, or a reply that was spoken
  runId?: string;
  timings?: Timings | null;
  error?: { code: string; message: string } | null;
  audioSeconds?: number;
}

/** off; wake: waiting for « Hey Jarvis »; ready: listening for speech; speech: heard; recognizing: transcribing. */
export type Listening = "off" | "wake" | "ready" | "speech" | "recognizing";

export interface ChatState {
  conversationId: string | null;
  messages: ChatMessage[];
  runId: string | null;
  listening: Listening;
  /** Hands-free behind the wake word: after each utterance (or a quiet spell), back to waiting for it. */
  wakeMode: boolean;
  /** An error outside any turn (bad frame, busy, …): shown in a banner until dismissed. */
  notice: { code: string; message: string } | null;
}

export const emptyChat: ChatState = {
  conversationId: null,
  messages: [],
  runId: null,
  listening: "off",
  wakeMode: false,
  notice: null,
};

export type ChatAction =
  | { kind: "event"; event: ServerEvent; now: string }
  | { kind: "send"; text: string; now: string; key: string }
  | { kind: "load"; conversationId: string | null; messages: ChatMessage[] }
  | { kind: "listening"; listening: Listening }
  | { kind: "wake-timeout" }
  | { kind: "audio"; runId: string; seconds: number }
  | { kind: "dismiss" }
  | { kind: "disconnected"; message: string };

function updateRun(state: ChatState, runId: string, change: (m: ChatMessage) => ChatMessage): ChatMessage[] {
  return state.messages.map((m) => (m.role === "assistant" && m.runId === runId ? change(m) : m));
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.kind) {
    case "send":
      return {
        ...state,
        notice: null,
        messages: [
          ...state.messages,
          { key: action.key, id: null, role: "user", content: action.text, status: "pending", createdAt: action.now },
        ],
      };
    case "load":
      return { ...emptyChat, listening: state.listening, wakeMode: state.wakeMode, conversationId: action.conversationId, messages: action.messages };
    case "listening":
      return { ...state, listening: action.listening, wakeMode: action.listening === "wake" };
    case "wake-timeout":
      // Awake but nobody spoke within the server's listen time: it waits for the wake word again.
      return state.wakeMode && state.listening === "ready" ? { ...state, listening: "wake" } : state;
    case "audio":
      return { ...state, messages: updateRun(state, action.runId, (m) => ({ ...m, audioSeconds: action.seconds })) };
    case "dismiss":
      return { ...state, notice: null };
    case "disconnected": {
      // A turn cut by a lost connection will not end: show it as failed.
      const messages = state.messages.map((m) =>
        m.status === "streaming" || m.status === "pending" ? { ...m, status: "failed" as const } : m,
      );
      return { ...state, runId: null, messages, notice: { code: "disconnected", message: action.message } };
    }
    case "event":
      return applyEvent(state, action.event, action.now);
  }
}

/** Where listening goes once an utterance is over: back to the wake word, or on listening. */
function afterUtterance(state: ChatState): Listening {
  if (state.listening === "off") return "off";
  return state.wakeMode ? "wake" : "ready";
}

function applyEvent(state: ChatState, event: ServerEvent, now: string): ChatState {
  switch (event.type) {
    case "wake-word":
      return state.listening === "off" ? state : { ...state, listening: "ready" };
    case "vad-start":
      return { ...state, listening: "speech" };
    case "vad-end":
      return { ...state, listening: "recognizing" };
    case "run-start": {
      const messages = [...state.messages];
      const pending = messages.findLastIndex((m) => m.role === "user" && m.status === "pending");
      if (event.user_message_id !== null && pending >= 0) {
        messages[pending] = { ...messages[pending], id: event.user_message_id, status: "complete" };
      } else {
        // Speech: the words come with stt-end.
        messages.push({
          key: `heard-${event.run_id}`,
          id: null,
          role: "user",
          content: "",
          status: "streaming",
          createdAt: now,
          voice: true,
          runId: event.run_id,
        });
      }
      messages.push({
        key: `reply-${event.run_id}`,
        id: null,
        role: "assistant",
        content: "",
        status: "streaming",
        createdAt: now,
        runId: event.run_id,
      });
      return { ...state, conversationId: event.conversation_id, runId: event.run_id, messages };
    }
    case "stt-end":
      return {
        ...state,
        listening: afterUtterance(state),
        messages: state.messages.map((m) =>
          m.role === "user" && m.runId === event.run_id
            ? { ...m, content: event.text, id: event.user_message_id, status: "complete" }
            : m,
        ),
      };
    case "stt-no-speech":
      return {
        ...state,
        listening: afterUtterance(state),
        messages: state.messages.filter((m) => !(m.role === "user" && m.runId === event.run_id)),
      };
    case "tts-start":
      return { ...state, messages: updateRun(state, event.run_id, (m) => ({ ...m, voice: true })) };
    case "llm-delta":
      return { ...state, messages: updateRun(state, event.run_id, (m) => ({ ...m, content: m.content + event.text })) };
    case "error": {
      const error = { code: event.code, message: event.message };
      const inRun = event.run_id !== null && state.messages.some((m) => m.runId === event.run_id);
      if (!inRun) {
        // A refused typed message never started: mark it failed so that it can be retried.
        const messages = state.messages.map((m) =>
          m.role === "user" && m.status === "pending" ? { ...m, status: "failed" as const, error } : m,
        );
        return { ...state, messages, notice: error };
      }
      // A cancel (asked for, or a barge-in) is not a failure: the reply simply shows as interrupted.
      if (event.code === "cancelled") return state;
      return { ...state, messages: updateRun(state, event.run_id as string, (m) => ({ ...m, error })) };
    }
    case "run-end": {
      let messages: ChatMessage[];
      if (event.status === "no-speech") {
        messages = state.messages.filter((m) => m.runId !== event.run_id);
      } else {
        messages = updateRun(state, event.run_id, (m) => ({
          ...m,
          id: event.message_id,
          content: event.reply || m.content,
          status: event.status,
          timings: event.timings,
        }));
        // A failed speech turn may leave its transcript placeholder empty.
        messages = messages.filter((m) => !(m.role === "user" && m.runId === event.run_id && m.content === ""));
      }
      return {
        ...state,
        conversationId: event.conversation_id ?? state.conversationId,
        runId: state.runId === event.run_id ? null : state.runId,
        messages,
      };
    }
  }
}

/** The user text to send again for a retry of the reply `key`: the user message just before it. */
export function retryText(messages: ChatMessage[], key: string): string | null {
  const index = messages.findIndex((m) => m.key === key);
  for (let i = index; i >= 0; i--) {
    if (messages[i].role === "user" && messages[i].content.trim()) return messages[i].content;
  }
  return null;
}
