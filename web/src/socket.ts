// The /ws session: JSON events and binary reply audio in, chat/audio frames out; reconnects on its own.
import { parseEvent, type ServerEvent } from "./protocol";

export type SocketState = "connecting" | "open" | "closed";

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
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.handlers.onState("closed");
      if (!this.stopped) {
        const delay = Math.min(10_000, 500 * 2 ** this.retry++);
        this.timer = window.setTimeout(() => this.connect(), delay);
      }
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
