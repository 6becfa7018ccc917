// AudioWorklet: microphone blocks (128 samples at the context's rate) → 16 kHz mono int16 frames of 100 ms,
// posted to the page with their level. Runs on the audio thread; bundled on its own by Vite (?worker&url).
import { FRAME_SAMPLES, Framer, Resampler, TARGET_RATE, floatToInt16, rms } from "./pcm";

declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: new () => unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly resampler = new Resampler(sampleRate, TARGET_RATE);
  private readonly framer = new Framer(FRAME_SAMPLES);
  private level = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<{ type: string }>) => {
      if (event.data.type === "flush") {
        const last = this.framer.flush();
        this.port.postMessage({ type: "flushed", pcm: last ? last.buffer : null }, last ? [last.buffer] : []);
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    // Mono: the mean of the channels.
    const mono = new Float32Array(channels[0].length);
    for (const channel of channels) {
      for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / channels.length;
    }
    this.level = Math.max(rms(mono), this.level * 0.9);
    for (const frame of this.framer.push(floatToInt16(this.resampler.push(mono)))) {
      this.port.postMessage({ type: "frame", pcm: frame.buffer, level: this.level }, [frame.buffer]);
    }
    return true;
  }
}

registerProcessor("jarvis-capture", CaptureProcessor);
