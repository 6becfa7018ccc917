// Pure audio helpers shared by the capture worklet and the player: resampling, int16 conversion, framing, decoding.

/** What the server expects from the microphone (docs/protocol.md, audio-start). */
export const TARGET_RATE = 16000;
/** 100 ms frames: small enough for a quick barge-in, large enough to keep the WebSocket quiet. */
export const FRAME_SAMPLES = 1600;

export function floatToInt16(input: Float32Array): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const s = Math.max(-1, Math.min(1, input[i]));
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return out;
}

/**
 * Streaming resampler. Downsampling averages the input over each output sample's span (a box filter, which keeps
 * speech intelligible and removes most aliasing); upsampling interpolates linearly. Blocks may have any length:
 * the fractional position and the leftover samples carry over to the next call.
 */
export class Resampler {
  private rest: Float32Array = new Float32Array(0);
  private base = 0; // absolute index (in input samples) of rest[0]
  private produced = 0; // output samples so far: output n starts at n * inputRate / outputRate

  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
  ) {
    if (!(inputRate > 0 && outputRate > 0)) throw new RangeError("sample rates must be positive");
  }

  /** Absolute input position of output sample `n` (exact for integer rates, whatever the block sizes). */
  private at(n: number): number {
    return (n * this.inputRate) / this.outputRate;
  }

  push(input: Float32Array): Float32Array {
    if (this.inputRate === this.outputRate) return input.slice();
    const buf = new Float32Array(this.rest.length + input.length);
    buf.set(this.rest);
    buf.set(input, this.rest.length);
    const end = this.base + buf.length;
    const out: number[] = [];
    if (this.inputRate > this.outputRate) {
      while (this.at(this.produced + 1) <= end) {
        const from = this.at(this.produced) - this.base;
        const to = this.at(this.produced + 1) - this.base;
        let sum = 0;
        let t = from;
        while (t < to) {
          const i = Math.floor(t);
          const next = Math.min(i + 1, to);
          sum += buf[i] * (next - t);
          t = next;
        }
        out.push(sum / (to - from));
        this.produced++;
      }
    } else {
      // Interpolation needs the sample after the position.
      while (Math.floor(this.at(this.produced)) + 1 < end) {
        const position = this.at(this.produced) - this.base;
        const i = Math.floor(position);
        const frac = position - i;
        out.push(buf[i] * (1 - frac) + buf[i + 1] * frac);
        this.produced++;
      }
    }
    const keep = Math.max(0, Math.min(Math.floor(this.at(this.produced)) - this.base, buf.length));
    this.rest = buf.slice(keep);
    this.base += keep;
    return Float32Array.from(out);
  }
}

/** Cuts a stream of samples into frames of exactly `size` samples. */
export class Framer {
  private pending: Int16Array;
  private filled = 0;

  constructor(readonly size: number = FRAME_SAMPLES) {
    this.pending = new Int16Array(size);
  }

  push(samples: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let read = 0;
    while (read < samples.length) {
      const take = Math.min(this.size - this.filled, samples.length - read);
      this.pending.set(samples.subarray(read, read + take), this.filled);
      this.filled += take;
      read += take;
      if (this.filled === this.size) {
        frames.push(this.pending);
        this.pending = new Int16Array(this.size);
        this.filled = 0;
      }
    }
    return frames;
  }

  /** The incomplete last frame (push-to-talk release), or null when empty. */
  flush(): Int16Array | null {
    if (this.filled === 0) return null;
    const last = this.pending.slice(0, this.filled);
    this.pending = new Int16Array(this.size);
    this.filled = 0;
    return last;
  }
}

/** Root mean square of a block, 0..1: the microphone level shown while listening. */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

export interface PcmFormat {
  rate: number;
  channels: number;
  width: number;
  encoding: string;
}

/**
 * Decodes the server's reply audio (pcm_s16le, interleaved) into one Float32Array per channel. A frame may end in
 * the middle of a sample: the odd bytes wait for the next frame.
 */
export class PcmDecoder {
  private carry: Uint8Array = new Uint8Array(0);

  constructor(readonly format: PcmFormat) {
    if (format.encoding !== "pcm_s16le" || format.width !== 2) {
      throw new RangeError(`unsupported reply audio: ${format.encoding} (${format.width} bytes)`);
    }
    if (!(format.channels >= 1 && format.rate > 0)) throw new RangeError("bad reply audio format");
  }

  decode(data: ArrayBuffer): Float32Array[] {
    const bytes = new Uint8Array(this.carry.length + data.byteLength);
    bytes.set(this.carry);
    bytes.set(new Uint8Array(data), this.carry.length);
    const frameBytes = 2 * this.format.channels;
    const usable = bytes.length - (bytes.length % frameBytes);
    this.carry = bytes.slice(usable);
    const view = new DataView(bytes.buffer, bytes.byteOffset, usable);
    const frames = usable / frameBytes;
    const channels = Array.from({ length: this.format.channels }, () => new Float32Array(frames));
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < this.format.channels; c++) {
        channels[c][f] = view.getInt16((f * this.format.channels + c) * 2, true) / 0x8000;
      }
    }
    return channels;
  }
}
