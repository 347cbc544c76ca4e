import path from 'node:path';

/**
 * The softphone page's audio core (public/phone/audio-core.js), loaded in Node: the simulator and the tests run the
 * very code the browser runs. These types describe that plain JavaScript file.
 */

export interface Band {
  cutoffHz: number;
  transitionHz: number;
  attenuationDb: number;
}

export interface CaptureFrame {
  /** 160 μ-law bytes: 20 ms at 8 kHz. */
  mulaw: Uint8Array;
  levelDbfs: number;
}

export interface PlaybackStats {
  receivedMs: number;
  playedMs: number;
  marksPlayed: number;
  marksCleared: number;
  clears: number;
  starts: number;
  overflows: number;
}

export interface PhoneAudio {
  LINE_RATE: number;
  FRAME_SAMPLES: number;
  TELEPHONE_BAND: Band;
  mulawEncodeSample(sample: number): number;
  mulawDecodeSample(code: number): number;
  Resampler: new (inputRate: number, outputRate: number, band: Band) => { process(input: Float32Array): Float32Array };
  CaptureEncoder: new (inputRate: number) => { push(samples: Float32Array): CaptureFrame[] };
  PlaybackQueue: new (
    outputRate: number,
    options?: { prebufferMs?: number },
  ) => {
    readonly playing: boolean;
    readonly bufferedMs: number;
    readonly stats: PlaybackStats;
    push(mulaw: Uint8Array): void;
    mark(name: string): void;
    clear(): string[];
    render(out: Float32Array): string[];
  };
}

export const phoneAudio: PhoneAudio = require(path.join(__dirname, '..', '..', 'public', 'phone', 'audio-core.js'));
