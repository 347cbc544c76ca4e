import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pcm16ToMulaw } from '../../src/audio';
import { CallRecording, recordingsDirFor, saveRecording, stereoWav } from '../../src/store';

/** `ms` of one constant μ-law code, so each placement can be told apart after decoding. */
function tone(level: number, ms: number): Uint8Array {
  return pcm16ToMulaw(new Int16Array(ms * 8).fill(level));
}

interface ParsedWav {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  left: Int16Array;
  right: Int16Array;
}

/** Reads a WAV the way a player would: by its header, not by our assumptions. */
function parseWav(wav: Buffer): ParsedWav {
  expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
  expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
  expect(wav.toString('ascii', 12, 16)).toBe('fmt ');
  expect(wav.readUInt16LE(20)).toBe(1); // PCM
  const channels = wav.readUInt16LE(22);
  const sampleRate = wav.readUInt32LE(24);
  const bitsPerSample = wav.readUInt16LE(34);
  expect(wav.readUInt32LE(28)).toBe((sampleRate * channels * bitsPerSample) / 8);
  expect(wav.readUInt16LE(32)).toBe((channels * bitsPerSample) / 8);
  expect(wav.toString('ascii', 36, 40)).toBe('data');
  const dataBytes = wav.readUInt32LE(40);
  expect(dataBytes).toBe(wav.length - 44);
  const frames = dataBytes / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = wav.readInt16LE(44 + i * 4);
    right[i] = wav.readInt16LE(46 + i * 4);
  }
  return { channels, sampleRate, bitsPerSample, left, right };
}

const at = (samples: Int16Array, ms: number) => samples[ms * 8];

describe('WAV writer', () => {
  it('writes a valid 8 kHz 16-bit stereo file with left and right interleaved', () => {
    const wav = parseWav(stereoWav(Int16Array.from([1, 2, 3]), Int16Array.from([-1, -2]), 8000));
    expect(wav).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect([...wav.left]).toEqual([1, 2, 3]);
    expect([...wav.right]).toEqual([-1, -2, 0]);
  });
});

describe('CallRecording', () => {
  it('puts the caller on the left and the agent on the right, each at its time', () => {
    const recording = new CallRecording();
    recording.caller(tone(1000, 100), 0);
    recording.agent(tone(-3000, 200), 300);
    const wav = parseWav(recording.toWav());
    expect(wav).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(wav.left.length).toBe(500 * 8);
    expect(at(wav.left, 50)).toBeCloseTo(1000, -2);
    expect(at(wav.right, 50)).toBe(0);
    expect(at(wav.left, 350)).toBe(0);
    expect(at(wav.right, 350)).toBeCloseTo(-3000, -2);
    expect(at(wav.right, 299)).toBe(0);
    expect(recording.durationMs).toBe(500);
  });

  it('plays agent audio after what is still queued, as Twilio does', () => {
    const recording = new CallRecording();
    recording.agent(tone(1000, 400), 0); // plays 0–400
    recording.agent(tone(2000, 400), 40); // sent early, plays 400–800
    recording.agent(tone(3000, 100), 1000); // queue empty by then: plays at 1000
    const { right } = parseWav(recording.toWav());
    expect(at(right, 399)).toBeCloseTo(1000, -2);
    expect(at(right, 400)).toBeCloseTo(2000, -2);
    expect(at(right, 799)).toBeCloseTo(2000, -2);
    expect(at(right, 900)).toBe(0);
    expect(at(right, 1000)).toBeCloseTo(3000, -2);
  });

  it('drops agent audio a barge-in cleared before it played', () => {
    const recording = new CallRecording();
    recording.agent(tone(1000, 2000), 0); // queued 0–2000
    recording.caller(tone(500, 400), 600);
    recording.agentCleared(700);
    recording.agent(tone(2000, 200), 1500); // the next reply starts fresh
    const { left, right } = parseWav(recording.toWav());
    expect(at(right, 699)).toBeCloseTo(1000, -2);
    expect(at(right, 700)).toBe(0);
    expect(at(right, 1400)).toBe(0);
    expect(at(right, 1500)).toBeCloseTo(2000, -2);
    expect(at(left, 800)).toBeCloseTo(500, -2);
    expect(right.length).toBe(1700 * 8);
  });

  it('never overlaps jittery caller frames, and leaves gaps silent', () => {
    const recording = new CallRecording();
    recording.caller(tone(1000, 20), 0);
    recording.caller(tone(2000, 20), 15); // arrived a little early: follows the first frame
    recording.caller(tone(3000, 20), 100);
    const { left } = parseWav(recording.toWav());
    expect(at(left, 19)).toBeCloseTo(1000, -2);
    expect(at(left, 20)).toBeCloseTo(2000, -2);
    expect(at(left, 39)).toBeCloseTo(2000, -2);
    expect(at(left, 60)).toBe(0);
    expect(at(left, 100)).toBeCloseTo(3000, -2);
  });

  it('keeps no audio past its maximum length', () => {
    const recording = new CallRecording(1000);
    recording.caller(tone(1000, 600), 0);
    recording.caller(tone(1000, 600), 600);
    recording.agent(tone(1000, 100), 5000);
    expect(recording.durationMs).toBe(1000);
    expect(parseWav(recording.toWav()).left.length).toBe(8000);
  });

  it('grows past its first buffer for long calls', () => {
    const recording = new CallRecording();
    for (let ms = 0; ms < 25_000; ms += 20) recording.caller(tone(1000, 20), ms);
    const { left } = parseWav(recording.toWav());
    expect(left.length).toBe(25_000 * 8);
    expect(at(left, 24_990)).toBeCloseTo(1000, -2);
  });

  it('is an empty but valid WAV when nothing was said', () => {
    const wav = parseWav(new CallRecording().toWav());
    expect(wav.left.length).toBe(0);
  });
});

describe('saveRecording', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'calls-rec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <callSid>.wav into a folder it creates, with a safe name', () => {
    const target = path.join(dir, 'recordings');
    const wav = stereoWav(new Int16Array(8), new Int16Array(8), 8000);
    expect(saveRecording(target, 'CA123', wav)).toBe('CA123.wav');
    expect(readFileSync(path.join(target, 'CA123.wav'))).toEqual(wav);
    expect(saveRecording(target, '../../etc/passwd', wav)).toBe('______etc_passwd.wav');
    expect(existsSync(path.join(target, '______etc_passwd.wav'))).toBe(true);
    expect(readdirSync(target).sort()).toEqual(['CA123.wav', '______etc_passwd.wav']);
  });

  it('puts recordings next to the database', () => {
    expect(recordingsDirFor(path.join('data', 'calls.db'))).toBe(path.join('data', 'recordings'));
  });
});
