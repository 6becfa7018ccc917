// The /ws session: JSON events and binary reply audio in, chat/audio frames out; reconnects on its own.
import { parseEvent, type ServerEvent } from "./protocol";

/** closed: lost, a reconnection is planned; signed-out: the server ended the session (no reconnection). */
export type SocketState = "connecting" | "open" | "closed" | "signed-out";

/** The close code the server sends to every WebSocket of a browser session that signs out (docs/protocol.md). */
export const CLOSE_SIGNED_OUT = 4401;

/** Wait before reconnection attempt `retry` (0, 1, …): 0.5 s doubling up to 10 s. */
export function reconnectDelay(retry: number): number {
  return Math.min(10_000, 500 * 2 ** retry);
}

export interface SocketHandlers {
  onEvent: (event: ServerEvent) => void;
  onAudio: (data: ArrayBuffer) => void;
  onState: (state: SocketState) => void;
}

export class JarvisSocket {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer: number | null = null;
  private stopped = false;

  constructor(private readonly handlers: SocketHandlers) {}

  connect(): void {
    this.stopped = false;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.handlers.onState("connecting");
    ws.onopen = () => {
      this.retry = 0;
      this.handlers.onState("open");
    };
    ws.onmessage = (message: MessageEvent<string | ArrayBuffer>) => {
      if (typeof message.data === "string") {
        const event = parseEvent(message.data);
        if (event) this.handlers.onEvent(event);
      } else {
        this.handlers.onAudio(message.data);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === CLOSE_SIGNED_OUT) {
        // Signed out (in another tab, or elsewhere): reconnecting would only be refused.
        this.stopped = true;
        this.handlers.onState("signed-out");
        return;
      }
      this.handlers.onState("closed");
      if (!this.stopped) this.timer = window.setTimeout(() => this.connect(), reconnectDelay(this.retry++));
    };
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(frame: Record<string, unknown>): boolean {
    if (!this.open) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  sendAudio(pcm: ArrayBuffer): void {
    if (this.open) this.ws!.send(pcm);
  }

  close(): void {
    this.stopped = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}
