import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CLOSE_SIGNED_OUT, JarvisSocket, reconnectDelay, type SocketState } from "./socket";

/** The part of the browser's WebSocket that JarvisSocket uses, driven by the test. */
class FakeWebSocket {
  static readonly OPEN = 1;
  static opened: FakeWebSocket[] = [];
  readyState = 0;
  binaryType = "blob";
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string | ArrayBuffer }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.opened.push(this);
  }

  send(data: unknown): void {
    this.sent.push(data);
  }

  close(): void {
    this.serverClose(1000);
  }

  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

describe("JarvisSocket", () => {
  let states: SocketState[];
  let socket: JarvisSocket;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.opened = [];
    vi.stubGlobal("WebSocket", FakeWebSocket);
    vi.stubGlobal("window", { location: { protocol: "https:", host: "jarvis.example" }, setTimeout, clearTimeout });
    states = [];
    socket = new JarvisSocket({ onEvent: () => undefined, onAudio: () => undefined, onState: (s) => states.push(s) });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("connects to /ws on the page's host (wss behind https) and reconnects when the connection drops", () => {
    socket.connect();
    expect(FakeWebSocket.opened[0].url).toBe("wss://jarvis.example/ws");
    FakeWebSocket.opened[0].open();
    expect(socket.send({ type: "cancel" })).toBe(true);
    FakeWebSocket.opened[0].serverClose(1006);
    expect(states).toEqual(["connecting", "open", "closed"]);
    expect(socket.send({ type: "cancel" })).toBe(false);
    vi.advanceTimersByTime(reconnectDelay(0));
    expect(FakeWebSocket.opened).toHaveLength(2);
  });

  it("stops for good when the server closes it because the session signed out", () => {
    socket.connect();
    FakeWebSocket.opened[0].open();
    FakeWebSocket.opened[0].serverClose(CLOSE_SIGNED_OUT);
    expect(states).toEqual(["connecting", "open", "signed-out"]);
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.opened).toHaveLength(1); // no reconnection: it would only be refused
  });

  it("backs off between attempts, up to 10 s", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(reconnectDelay)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
