import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type KeyboardEvent } from "react";
import {
  ApiError,
  deleteConversation,
  fetchStatus,
  fetchVoices,
  fetchWakeWord,
  listConversations,
  loadConversation,
  renameConversation,
  signOut,
  type ConversationSummary,
  type HomeStatus,
  type ReadyInfo,
  type SessionInfo,
  type VoicesInfo,
  type WakeWordInfo,
} from "./api";
import { Microphone } from "./audio/capture";
import { TARGET_RATE } from "./audio/pcm";
import { PcmPlayer } from "./audio/player";
import { Icon } from "./components/Icon";
import { MemoryPage } from "./components/MemoryPage";
import { MessageView } from "./components/MessageView";
import { SettingsDialog } from "./components/SettingsDialog";
import { Sidebar } from "./components/Sidebar";
import { HomeBadge } from "./components/HomeBadge";
import { StatusBadge } from "./components/StatusBadge";
import { useI18n } from "./i18n";
import { chatReducer, emptyChat, retryText } from "./protocol";
import { wakeWordRequested, type Settings } from "./settings";
import { DraftSender } from "./draft";
import { JarvisSocket, type SocketState } from "./socket";

interface Props {
  session: SessionInfo;
  settings: Settings;
  onSettings: (settings: Settings) => void;
  onSignedOut: (reason: string | null) => void;
}

const MEMORY_HASH = "#memoire";

let keys = 0;
const newKey = () => `local-${Date.now()}-${keys++}`;

export function ChatApp({ session, settings, onSettings, onSignedOut }: Props) {
  const { t } = useI18n();
  const [chat, dispatch] = useReducer(chatReducer, emptyChat);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [socketState, setSocketState] = useState<SocketState>("connecting");
  const [ready, setReady] = useState<ReadyInfo | null | undefined>(undefined);
  const [voices, setVoices] = useState<VoicesInfo | null>(null);
  const [home, setHome] = useState<HomeStatus | null | undefined>(undefined);
  const [wake, setWake] = useState<WakeWordInfo | null | undefined>(undefined);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [micError, setMicError] = useState<string | null>(null);
  const [micActive, setMicActive] = useState(false);
  const [level, setLevel] = useState(0);
  const [draft, setDraft] = useState("");
  const [speaking, setSpeaking] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [view, setView] = useState<"chat" | "memory">(() => (window.location.hash === MEMORY_HASH ? "memory" : "chat"));

  const player = useMemo(() => new PcmPlayer(), []);
  useEffect(() => {
    player.onPlaying = setSpeaking;
    return () => {
      player.onPlaying = null;
    };
  }, [player]);
  const socketRef = useRef<JarvisSocket | null>(null);
  // What is being typed goes to the server as a draft: the answer then starts at once when it is sent.
  const drafts = useMemo(() => new DraftSender((frame) => socketRef.current?.send({ ...frame }) ?? false), []);
  const micRef = useRef<Microphone | null>(null);
  const micOpening = useRef<Promise<Microphone | null> | null>(null);
  const sending = useRef(false);
  const pressed = useRef(false);
  const handsFree = useRef(false);
  const audioRun = useRef<string | null>(null);
  const chatRef = useRef(chat);
  chatRef.current = chat;
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const wakeRef = useRef(wake);
  wakeRef.current = wake;
  const messagesEnd = useRef<HTMLDivElement>(null);

  const unauthorized = useCallback(
    (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        onSignedOut("expired");
        return true;
      }
      return false;
    },
    [onSignedOut],
  );

  const refreshList = useCallback(async () => {
    try {
      setConversations(await listConversations());
    } catch (error) {
      unauthorized(error);
    }
  }, [unauthorized]);

  /** Whether the hands-free session waits for the wake word (the setting, if the server has it). */
  const wakeOn = useCallback(() => wakeWordRequested(settingsRef.current, wakeRef.current), []);

  const audioStart = useCallback((mode: "vad" | "push-to-talk") => {
    const s = settingsRef.current;
    return (
      socketRef.current?.send({
        type: "audio-start",
        rate: TARGET_RATE,
        channels: 1,
        width: 2,
        mode,
        conversation_id: chatRef.current.conversationId,
        speak: true,
        voice: s.voice ?? undefined,
        speed: s.speed,
        ...(mode === "vad" ? { wake_word: wakeOn() } : {}),
      }) ?? false
    );
  }, [wakeOn]);

  // The WebSocket session, for as long as the page is signed in.
  useEffect(() => {
    const socket = new JarvisSocket({
      onEvent: (event) => {
        // Barge-in: the user speaks over Jarvis (or says the wake word: the server cancels the reply).
        if (event.type === "vad-start" || event.type === "wake-word") player.stop();
        if (event.type === "tts-start") {
          player.begin(event);
          audioRun.current = event.run_id;
        }
        if (event.type === "run-end") {
          if (event.status === "cancelled") player.stop();
          void refreshList();
        }
        if (event.type === "run-start" && event.conversation_id !== chatRef.current.conversationId) {
          void refreshList(); // a new conversation: list it at once
        }
        dispatch({ kind: "event", event, now: new Date().toISOString() });
      },
      onAudio: (data) => {
        player.push(data);
        if (audioRun.current) dispatch({ kind: "audio", runId: audioRun.current, seconds: player.receivedSeconds });
      },
      onState: (state) => {
        setSocketState(state);
        if (state === "signed-out") {
          // The server closed the session (signed out in another tab): stop listening, back to the sign-in page.
          handsFree.current = false;
          sending.current = false;
          player.stop();
          onSignedOut("signed-out");
          return;
        }
        if (state === "open" && handsFree.current) audioStart("vad");
        if (state === "closed") {
          if (chatRef.current.runId) dispatch({ kind: "disconnected", message: t.disconnected });
          // Closed because the session is gone? Then back to the sign-in page.
          fetch("/api/session", { cache: "no-store" })
            .then((r) => r.json())
            .then((s: SessionInfo) => !s.authenticated && onSignedOut("expired"))
            .catch(() => undefined);
        }
      },
    });
    socketRef.current = socket;
    socket.connect();
    return () => {
      socket.close();
      socketRef.current = null;
    };
  }, []);

  useEffect(() => {
    void refreshList();
    fetchVoices()
      .then(setVoices)
      .catch((error: unknown) => unauthorized(error));
    fetchWakeWord()
      .then(setWake)
      .catch((error: unknown) => unauthorized(error) || setWake(null));
    // Polled: cheap for the server (nothing is computed, Home Assistant is not called) and it keeps working while
    // the WebSocket reconnects; engine and Home Assistant states change seldom, 5 s is soon enough to see it.
    const poll = () =>
      void fetchStatus()
        .then((status) => {
          setReady(status);
          setHome(status.home);
        })
        .catch((error: unknown) => {
          if (unauthorized(error)) return;
          setReady(null);
          setHome(null);
        });
    poll();
    const timer = window.setInterval(poll, 5000);
    return () => window.clearInterval(timer);
  }, [refreshList, unauthorized]);

  useEffect(() => {
    messagesEnd.current?.scrollIntoView({ block: "end" });
  }, [chat.messages]);

  // Escape closes the conversation drawer (phone layout).
  useEffect(() => {
    if (!drawerOpen) return;
    const onKey = (event: globalThis.KeyboardEvent) => event.key === "Escape" && setDrawerOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [drawerOpen]);

  // The memory page has its own address (#memoire): the browser's back button returns to the conversation.
  useEffect(() => {
    const onHash = () => setView(window.location.hash === MEMORY_HASH ? "memory" : "chat");
    window.addEventListener("hashchange", onHash);
    window.addEventListener("popstate", onHash);
    return () => {
      window.removeEventListener("hashchange", onHash);
      window.removeEventListener("popstate", onHash);
    };
  }, []);

  const showView = useCallback((next: "chat" | "memory") => {
    setView(next);
    setDrawerOpen(false);
    const url = window.location.pathname + window.location.search + (next === "memory" ? MEMORY_HASH : "");
    if ((window.location.hash === MEMORY_HASH) !== (next === "memory")) window.history.pushState(null, "", url);
  }, []);

  const openMic = useCallback(async (): Promise<Microphone | null> => {
    if (micRef.current) return micRef.current;
    micOpening.current ??= Microphone.open({
      onFrame: (pcm) => {
        if (sending.current) socketRef.current?.sendAudio(pcm);
      },
      onLevel: setLevel,
    })
      .then((mic) => {
        micRef.current = mic;
        setMicError(null);
        return mic;
      })
      .catch(() => {
        setMicError(t.micDenied);
        return null;
      })
      .finally(() => {
        micOpening.current = null;
      });
    return micOpening.current;
  }, [t.micDenied]);

  const closeMic = useCallback(async () => {
    sending.current = false;
    const mic = micRef.current;
    micRef.current = null;
    setLevel(0);
    await mic?.close();
  }, []);

  useEffect(
    () => () => {
      void closeMic();
      player.stop();
    },
    [closeMic, player],
  );

  // Always told to the server (it ignores a cancel when nothing runs): a message sent whose run has not started
  // yet is cancelled too, as the user who silences Jarvis expects.
  const cancelRun = useCallback(() => {
    player.stop();
    socketRef.current?.send({ type: "cancel" });
  }, [player]);

  const sendText = useCallback(
    (text: string) => {
      const message = text.trim();
      if (!message) return;
      const s = settingsRef.current;
      if (s.speakTyped) player.unlock();
      drafts.reset();
      dispatch({ kind: "send", text: message, now: new Date().toISOString(), key: newKey() });
      const sent = socketRef.current?.send({
        type: "chat",
        text: message,
        conversation_id: chatRef.current.conversationId,
        speak: s.speakTyped,
        voice: s.voice ?? undefined,
        speed: s.speed,
      });
      if (!sent) {
        dispatch({
          kind: "event",
          event: { type: "error", run_id: null, code: "disconnected", message: t.disconnected },
          now: new Date().toISOString(),
        });
      }
    },
    [drafts, player, t.disconnected],
  );

  // Push-to-talk: hold the button (pointer, Space or Enter); release sends the recording.
  const pressTalk = useCallback(() => {
    if (pressed.current) return;
    pressed.current = true;
    player.unlock();
    cancelRun();
    setMicActive(true);
    dispatch({ kind: "listening", listening: "speech" });
    audioStart("push-to-talk");
    sending.current = true;
    void openMic();
  }, [audioStart, cancelRun, openMic, player]);

  const releaseTalk = useCallback(async () => {
    if (!pressed.current) return;
    pressed.current = false;
    setMicActive(false);
    const mic = micRef.current ?? (await (micOpening.current ?? Promise.resolve(null)));
    if (mic) await mic.flush();
    sending.current = false;
    socketRef.current?.send({ type: "audio-end" });
    dispatch({ kind: "listening", listening: "off" });
    await closeMic();
  }, [closeMic]);

  const toggleHandsFree = useCallback(async () => {
    if (handsFree.current) {
      handsFree.current = false;
      setMicActive(false);
      dispatch({ kind: "listening", listening: "off" });
      await closeMic();
      return;
    }
    player.unlock();
    const mic = await openMic();
    if (!mic) return;
    handsFree.current = true;
    audioStart("vad");
    sending.current = true;
    setMicActive(true);
    dispatch({ kind: "listening", listening: wakeOn() ? "wake" : "ready" });
  }, [audioStart, closeMic, openMic, player, wakeOn]);

  // Leaving hands-free mode in the settings turns the microphone off.
  useEffect(() => {
    if (settings.listening !== "hands-free" && handsFree.current) void toggleHandsFree();
  }, [settings.listening, toggleHandsFree]);

  // The wake word turned on or off while listening: the server starts the stream again with the new choice.
  const wakeWanted = wakeWordRequested(settings, wake);
  useEffect(() => {
    if (!handsFree.current) return;
    audioStart("vad");
    dispatch({ kind: "listening", listening: wakeWanted ? "wake" : "ready" });
  }, [wakeWanted, audioStart]);

  // Awake after « Hey Jarvis » but nobody spoke: the server goes back to waiting for it after listen_seconds.
  useEffect(() => {
    if (!(chat.wakeMode && chat.listening === "ready")) return;
    const timer = window.setTimeout(() => dispatch({ kind: "wake-timeout" }), (wake?.listen_seconds ?? 8) * 1000);
    return () => window.clearTimeout(timer);
  }, [chat.wakeMode, chat.listening, wake?.listen_seconds]);

  const select = useCallback(
    async (id: string | null) => {
      cancelRun();
      showView("chat");
      setLoadError(null);
      if (id === null) {
        dispatch({ kind: "load", conversationId: null, messages: [] });
      } else {
        try {
          dispatch({ kind: "load", conversationId: id, messages: await loadConversation(id) });
        } catch (error) {
          if (!unauthorized(error)) setLoadError(t.loadFailed);
          return;
        }
      }
      if (handsFree.current) {
        chatRef.current = { ...chatRef.current, conversationId: id };
        audioStart("vad");
      }
    },
    [audioStart, cancelRun, showView, t.loadFailed, unauthorized],
  );

  const rename = useCallback(
    async (id: string, title: string) => {
      try {
        await renameConversation(id, title);
      } catch (error) {
        if (!unauthorized(error) && error instanceof ApiError) setLoadError(error.message);
      }
      await refreshList();
    },
    [refreshList, unauthorized],
  );

  const remove = useCallback(
    async (id: string) => {
      try {
        await deleteConversation(id);
        if (chatRef.current.conversationId === id) void select(null);
      } catch (error) {
        if (!unauthorized(error) && error instanceof ApiError) setLoadError(error.message);
      }
      await refreshList();
    },
    [refreshList, select, unauthorized],
  );

  const doSignOut = useCallback(async () => {
    handsFree.current = false;
    await closeMic();
    player.stop();
    socketRef.current?.close();
    try {
      await signOut();
    } catch {
      // the session may already be gone
    }
    onSignedOut(null);
  }, [closeMic, onSignedOut, player]);

  const onComposerKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      if (!chat.runId) {
        sendText(draft);
        setDraft("");
      }
    }
  };

  const onMicKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (settings.listening !== "push-to-talk" || (event.key !== " " && event.key !== "Enter")) return;
    event.preventDefault();
    if (event.type === "keydown" && !event.repeat) pressTalk();
    if (event.type === "keyup") void releaseTalk();
  };

  const lastAssistant = chat.messages.findLast((m) => m.role === "assistant")?.key;
  const running = chat.runId !== null;
  const listeningText =
    chat.listening === "wake"
      ? t.wakeWaiting
      : chat.listening === "ready" && chat.wakeMode
        ? t.wakeHeard
        : chat.listening === "speech"
      ? t.speechDetected
      : chat.listening === "recognizing"
        ? t.recognizing
        : chat.listening === "ready"
          ? t.listening
          : null;

  return (
    <div className={`app ${drawerOpen ? "drawer-open" : ""}`}>
      <header className="topbar">
        <button
          type="button"
          className="icon menu-button"
          aria-label={t.menu}
          aria-expanded={drawerOpen}
          aria-controls="drawer"
          onClick={() => setDrawerOpen(!drawerOpen)}
        >
          <Icon name="menu" />
        </button>
        <h1 className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} /> {t.appName}
        </h1>
        <StatusBadge ready={ready} />
        <HomeBadge home={home} />
        <span className="spacer" />
        <button
          type="button"
          className={`secondary view-toggle ${view === "memory" ? "active" : ""}`}
          aria-pressed={view === "memory"}
          aria-label={t.memory}
          title={view === "memory" ? t.backToChat : t.memory}
          onClick={() => showView(view === "memory" ? "chat" : "memory")}
        >
          <Icon name="memory" size={18} />
          <span className="view-toggle-label">{t.memory}</span>
        </button>
        <button type="button" className="icon" aria-label={t.settings} title={t.settings} onClick={() => setSettingsOpen(true)}>
          <Icon name="gear" />
        </button>
        {session.method === "cookie" && (
          <button
            type="button"
            className="secondary sign-out"
            aria-label={t.signOut}
            title={t.signOut}
            onClick={() => void doSignOut()}>
            <Icon name="logout" size={18} />
            <span className="sign-out-label">{t.signOut}</span>
          </button>
        )}
      </header>
      <div className="layout">
        <aside id="drawer" className="drawer">
          <Sidebar
            conversations={conversations}
            currentId={chat.conversationId}
            onSelect={(id) => void select(id)}
            onNew={() => void select(null)}
            onRename={rename}
            onDelete={remove}
          />
        </aside>
        {drawerOpen && <div className="scrim" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
        {view === "memory" && <MemoryPage unauthorized={unauthorized} />}
        <main className="chat" hidden={view === "memory"}>
          {socketState !== "open" && (
            <p className="banner" role="status">
              {socketState === "connecting" ? t.connecting : t.disconnected}
            </p>
          )}
          {(chat.notice || loadError || micError) && (
            <div className="banner error" role="alert">
              <span>
                {chat.notice ? `${t.errorPrefix} (${chat.notice.code}) : ${chat.notice.message}` : (loadError ?? micError)}
              </span>
              <button
                type="button"
                className="icon"
                aria-label={t.dismiss}
                onClick={() => {
                  dispatch({ kind: "dismiss" });
                  setLoadError(null);
                  setMicError(null);
                }}
              >
                <Icon name="close" size={16} />
              </button>
            </div>
          )}
          <div className="messages" role="log" aria-live="polite" aria-relevant="additions">
            {chat.messages.length === 0 && <p className="empty muted">{t.emptyChat}</p>}
            {chat.messages.map((message) => (
              <MessageView
                key={message.key}
                message={message}
                canRetry={!running && (message.key === lastAssistant || message.status === "failed")}
                onRetry={(key) => {
                  const text = retryText(chat.messages, key);
                  if (text) sendText(text);
                }}
              />
            ))}
            <div ref={messagesEnd} />
          </div>
          <div className="composer">
            {speaking && (
              <p className="speaking" role="status">
                <span aria-hidden="true" className="wave" />
                {t.speaking}
                <button type="button" className="link-button" onClick={cancelRun}>
                  {t.stopSpeaking}
                </button>
              </p>
            )}
            {listeningText && (
              <p
                className={`listening ${chat.listening === "wake" ? "wake" : ""} ${chat.wakeMode && chat.listening !== "wake" ? "awake" : ""}`}
                role="status"
              >
                <span className="level" style={{ transform: `scaleX(${Math.min(1, level * 8)})` }} aria-hidden="true" />
                {listeningText}
              </p>
            )}
            <form
              className="composer-row"
              onSubmit={(event) => {
                event.preventDefault();
                if (running) {
                  cancelRun();
                  return;
                }
                sendText(draft);
                setDraft("");
              }}
            >
              {settings.listening === "push-to-talk" ? (
                <button
                  type="button"
                  className={`mic ${micActive ? "active" : ""}`}
                  aria-label={t.micHold}
                  aria-pressed={micActive}
                  title={t.micHoldHint}
                  onPointerDown={(event) => {
                    event.currentTarget.setPointerCapture(event.pointerId);
                    pressTalk();
                  }}
                  onPointerUp={() => void releaseTalk()}
                  onPointerCancel={() => void releaseTalk()}
                  onKeyDown={onMicKey}
                  onKeyUp={onMicKey}
                  onContextMenu={(event) => event.preventDefault()}
                >
                  <Icon name="mic" size={22} />
                </button>
              ) : (
                <button
                  type="button"
                  className={`mic ${micActive ? "active" : ""}`}
                  aria-label={micActive ? t.micHandsFreeOff : t.micHandsFreeOn}
                  aria-pressed={micActive}
                  title={micActive ? t.micHandsFreeOff : t.micHandsFreeOn}
                  onClick={() => void toggleHandsFree()}
                >
                  <Icon name="mic" size={22} />
                </button>
              )}
              <label className="visually-hidden" htmlFor="composer-input">
                {t.placeholder}
              </label>
              <textarea
                id="composer-input"
                rows={1}
                value={draft}
                placeholder={t.placeholderShort}
                onChange={(event) => {
                  setDraft(event.target.value);
                  if (!chat.runId) drafts.update(event.target.value, chat.conversationId);
                }}
                onKeyDown={onComposerKey}
              />
              {running ? (
                <button type="submit" className="send stop">
                  {t.stop}
                </button>
              ) : (
                <button type="submit" className="send" disabled={!draft.trim()}>
                  {t.send}
                </button>
              )}
            </form>
          </div>
        </main>
      </div>
      <SettingsDialog
        open={settingsOpen}
        settings={settings}
        voices={voices?.voices ?? []}
        defaultVoice={voices?.default ?? null}
        wake={wake}
        onChange={onSettings}
        onClose={() => setSettingsOpen(false)}
      />
    </div>
  );
}
