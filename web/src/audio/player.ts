// Reply audio: PCM frames from the WebSocket, scheduled back to back on one Web Audio clock (no gaps), stopped at
// once on barge-in.
import { PcmDecoder, type PcmFormat } from "./pcm";

/** A small lead so that the first buffer is not scheduled in the past. */
const LEAD_SECONDS = 0.05;

export class PcmPlayer {
  private context: AudioContext | null = null;
  private decoder: PcmDecoder | null = null;
  private sources = new Set<AudioBufferSourceNode>();
  private nextTime = 0;
  private gain: GainNode | null = null;
  /** Seconds of audio received for the current reply. */
  receivedSeconds = 0;
  /** Told when sound starts (first scheduled buffer) and when it stops (drained, or stopped). */
  onPlaying: ((playing: boolean) => void) | null = null;

  /** Must first be called from a user gesture (autoplay rules). */
  unlock(): void {
    if (!this.context) {
      this.context = new AudioContext();
      this.gain = this.context.createGain();
      this.gain.connect(this.context.destination);
    }
    if (this.context.state === "suspended") void this.context.resume();
  }

  begin(format: PcmFormat): void {
    this.stop();
    this.unlock();
    this.decoder = new PcmDecoder(format);
    this.receivedSeconds = 0;
  }

  push(data: ArrayBuffer): void {
    if (!this.decoder || !this.context || !this.gain) return;
    const channels = this.decoder.decode(data);
    const frames = channels[0]?.length ?? 0;
    if (frames === 0) return;
    const rate = this.decoder.format.rate;
    const buffer = this.context.createBuffer(channels.length, frames, rate);
    channels.forEach((samples, c) => buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, c));
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gain);
    const startAt = Math.max(this.nextTime, this.context.currentTime + LEAD_SECONDS);
    source.start(startAt);
    this.nextTime = startAt + buffer.duration;
    this.receivedSeconds += buffer.duration;
    this.sources.add(source);
    if (this.sources.size === 1) this.onPlaying?.(true);
    source.onended = () => {
      this.sources.delete(source);
      if (this.sources.size === 0) this.onPlaying?.(false);
    };
  }

  get playing(): boolean {
    return this.sources.size > 0;
  }

  /** Barge-in or a cancelled reply: everything scheduled stops now. */
  stop(): void {
    const wasPlaying = this.sources.size > 0;
    for (const source of this.sources) {
      source.onended = null;
      try {
        source.stop();
      } catch {
        // already stopped
      }
      source.disconnect();
    }
    this.sources.clear();
    this.decoder = null;
    this.nextTime = 0;
    if (wasPlaying) this.onPlaying?.(false);
  }
}
