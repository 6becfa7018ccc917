// The microphone: getUserMedia → AudioWorklet (capture-worklet.ts) → 16 kHz int16 frames for the WebSocket.
import workletUrl from "./capture-worklet.ts?worker&url";

export interface CaptureEvents {
  onFrame: (pcm: ArrayBuffer) => void;
  onLevel: (level: number) => void;
}

export class Microphone {
  private constructor(
    private readonly context: AudioContext,
    private readonly stream: MediaStream,
    private readonly node: AudioWorkletNode,
  ) {}

  static async open(events: CaptureEvents): Promise<Microphone> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error("no-microphone-api");
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    const context = new AudioContext();
    try {
      await context.audioWorklet.addModule(workletUrl);
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, "jarvis-capture", { numberOfOutputs: 0 });
      node.port.onmessage = (event: MessageEvent<{ type: string; pcm: ArrayBuffer | null; level?: number }>) => {
        if (event.data.type === "frame" && event.data.pcm) {
          events.onFrame(event.data.pcm);
          events.onLevel(event.data.level ?? 0);
        } else if (event.data.type === "flushed" && event.data.pcm) {
          events.onFrame(event.data.pcm);
        }
      };
      source.connect(node);
      if (context.state === "suspended") await context.resume();
      return new Microphone(context, stream, node);
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      await context.close();
      throw error;
    }
  }

  /** Sends the last, incomplete frame (push-to-talk release); resolves once it has been handed over. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.node.port.onmessage;
      this.node.port.onmessage = (event: MessageEvent) => {
        previous?.call(this.node.port, event);
        if ((event.data as { type: string }).type === "flushed") {
          this.node.port.onmessage = previous;
          resolve();
        }
      };
      this.node.port.postMessage({ type: "flush" });
    });
  }

  async close(): Promise<void> {
    this.stream.getTracks().forEach((track) => track.stop());
    this.node.port.onmessage = null;
    this.node.disconnect();
    await this.context.close();
  }
}
