import { mulawToPcm16 } from '../../src/audio';

/** A WAV file's audio, mixed down to one channel, in -1..1. */
export interface WavAudio {
  sampleRate: number;
  /** How many channels the file had (they are averaged into `samples`). */
  channels: number;
  samples: Float32Array;
}

const PCM = 1;
const FLOAT = 3;
const MULAW = 7;
const EXTENSIBLE = 0xfffe;

/**
 * Reads a RIFF WAVE file: integer PCM (8, 16, 24 or 32 bit), float (32 or 64 bit) or μ-law, any rate and number
 * of channels, plain or WAVE_FORMAT_EXTENSIBLE. Throws a readable error for anything else.
 */
export function readWav(file: Buffer): WavAudio {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file (no RIFF/WAVE header)');
  }
  let format: { code: number; channels: number; sampleRate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  for (let at = 12; at + 8 <= file.length; ) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = file.subarray(at + 8, Math.min(file.length, at + 8 + size));
    if (id === 'fmt ') {
      let code = body.readUInt16LE(0);
      if (code === EXTENSIBLE && body.length >= 26) code = body.readUInt16LE(24); // the sub-format GUID starts with the code
      format = { code, channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    at += 8 + size + (size % 2); // chunks are word-aligned
  }
  if (!format) throw new Error('the WAV file has no fmt chunk');
  if (!data) throw new Error('the WAV file has no data chunk');
  const { code, channels, sampleRate, bits } = format;
  if (channels < 1 || sampleRate < 1) throw new Error('the WAV file declares no channels or no sample rate');
  const read = sampleReader(code, bits);
  const bytesPerSample = bits / 8;
  const frames = Math.floor(data.length / (bytesPerSample * channels));
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(data, (i * channels + c) * bytesPerSample);
    samples[i] = sum / channels;
  }
  return { sampleRate, channels, samples };
}

function sampleReader(code: number, bits: number): (data: Buffer, at: number) => number {
  if (code === PCM && bits === 8) return (d, at) => (d[at] - 128) / 128;
  if (code === PCM && bits === 16) return (d, at) => d.readInt16LE(at) / 32768;
  if (code === PCM && bits === 24) return (d, at) => d.readIntLE(at, 3) / 8388608;
  if (code === PCM && bits === 32) return (d, at) => d.readInt32LE(at) / 2147483648;
  if (code === FLOAT && bits === 32) return (d, at) => d.readFloatLE(at);
  if (code === FLOAT && bits === 64) return (d, at) => d.readDoubleLE(at);
  if (code === MULAW && bits === 8) return (d, at) => mulawToPcm16(d.subarray(at, at + 1))[0] / 32768;
  throw new Error(`unsupported WAV encoding (format ${code}, ${bits} bits): use PCM, float or μ-law`);
}

/** A 16-bit mono WAV file. */
export function monoWav(samples: Int16Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(PCM, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.byteLength, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}
