import { describe, expect, it } from "vitest";
import { FRAME_SAMPLES, Framer, PcmDecoder, Resampler, TARGET_RATE, floatToInt16, rms } from "./pcm";

function sine(frequency: number, rate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = 0.5 * Math.sin((2 * Math.PI * frequency * i) / rate);
  return out;
}

/** Energy at `frequency` (a single DFT bin), normalised: ~amplitude/2 for a pure tone. */
function tone(samples: Float32Array, frequency: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < samples.length; i++) {
    re += samples[i] * Math.cos((2 * Math.PI * frequency * i) / rate);
    im += samples[i] * Math.sin((2 * Math.PI * frequency * i) / rate);
  }
  return Math.hypot(re, im) / samples.length;
}

function resampleInBlocks(input: Float32Array, from: number, to: number, block: number): Float32Array {
  const resampler = new Resampler(from, to);
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += block) parts.push(resampler.push(input.subarray(i, i + block)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("floatToInt16", () => {
  it("maps [-1, 1] to the int16 range and clips beyond", () => {
    expect(Array.from(floatToInt16(Float32Array.from([0, 1, -1, 0.5, 2, -3])))).toEqual([
      0, 32767, -32768, 16384, 32767, -32768,
    ]);
  });
});

describe("Resampler", () => {
  it.each([48000, 44100, 32000, 22050, 16000, 8000])("turns %i Hz into 16 kHz with the right length", (rate) => {
    const out = resampleInBlocks(sine(440, rate, 1), rate, TARGET_RATE, 128);
    expect(Math.abs(out.length - TARGET_RATE)).toBeLessThanOrEqual(2);
  });

  it("keeps a speech-band tone and its level, whatever the block size", () => {
    for (const block of [128, 100, 4096, 7]) {
      const out = resampleInBlocks(sine(440, 48000, 0.5), 48000, TARGET_RATE, block);
      expect(tone(out, 440, TARGET_RATE)).toBeGreaterThan(0.23); // 0.25 for a perfect 0.5-amplitude tone
    }
  });

  it("gives the same output in one block or in many (the state carries over)", () => {
    const input = sine(300, 44100, 0.3);
    const whole = new Resampler(44100, TARGET_RATE).push(input);
    const blocks = resampleInBlocks(input, 44100, TARGET_RATE, 128);
    expect(blocks.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(blocks[i]).toBeCloseTo(whole[i], 5);
  });

  it("attenuates what would fold back (aliasing) when downsampling", () => {
    // 15 kHz cannot exist at 16 kHz; it would alias to 1 kHz without a low-pass.
    const out = resampleInBlocks(sine(15000, 48000, 0.5), 48000, TARGET_RATE, 128);
    expect(tone(out, 1000, TARGET_RATE)).toBeLessThan(0.1);
  });

  it("refuses nonsense rates", () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
  });
});

describe("Framer", () => {
  it("cuts a stream into 100 ms frames and keeps the remainder for flush", () => {
    const framer = new Framer();
    const frames = [
      ...framer.push(new Int16Array(1000).fill(1)),
      ...framer.push(new Int16Array(2500).fill(2)),
    ];
    expect(frames.map((f) => f.length)).toEqual([FRAME_SAMPLES, FRAME_SAMPLES]);
    expect(frames[0][999]).toBe(1);
    expect(frames[0][1000]).toBe(2);
    const last = framer.flush();
    expect(last?.length).toBe(3500 - 2 * FRAME_SAMPLES);
    expect(framer.flush()).toBeNull();
  });

  it("frames are independent buffers (safe to transfer to the page)", () => {
    const framer = new Framer(4);
    const [a, b] = framer.push(Int16Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(a.buffer).not.toBe(b.buffer);
    expect(Array.from(b)).toEqual([5, 6, 7, 8]);
  });
});

describe("PcmDecoder", () => {
  const bytes = (values: number[]) => new Uint8Array(Int16Array.from(values).buffer);

  it("decodes little-endian int16 and carries a sample split across frames", () => {
    const decoder = new PcmDecoder({ rate: 24000, channels: 1, width: 2, encoding: "pcm_s16le" });
    const data = bytes([0, 16384, -32768, 32767]);
    const first = decoder.decode(data.slice(0, 3).buffer);
    expect(Array.from(first[0])).toEqual([0]);
    const second = decoder.decode(data.slice(3).buffer);
    expect(Array.from(second[0])).toEqual([0.5, -1, 32767 / 32768]);
  });

  it("de-interleaves stereo", () => {
    const decoder = new PcmDecoder({ rate: 24000, channels: 2, width: 2, encoding: "pcm_s16le" });
    const [left, right] = decoder.decode(bytes([16384, -16384, 8192, -8192]).buffer);
    expect(Array.from(left)).toEqual([0.5, 0.25]);
    expect(Array.from(right)).toEqual([-0.5, -0.25]);
  });

  it("refuses formats it cannot play", () => {
    expect(() => new PcmDecoder({ rate: 24000, channels: 1, width: 4, encoding: "pcm_f32le" })).toThrow(RangeError);
  });
});

describe("rms", () => {
  it("measures the level", () => {
    expect(rms(new Float32Array(0))).toBe(0);
    expect(rms(Float32Array.from([0.5, -0.5]))).toBeCloseTo(0.5);
  });
});
