import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MULAW_SILENCE, mulawToPcm16, pcm16ToMulaw } from '../../src/audio';
import { CallRecording, recordingsDirFor, saveRecording, secureRecordingsDir, stereoWav } from '../../src/store';

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

type Step = { kind: 'caller' | 'agent'; audio: Uint8Array; atMs: number } | { kind: 'agentCleared'; atMs: number };

function apply(recording: Pick<CallRecording, 'caller' | 'agent' | 'agentCleared'>, step: Step): void {
  if (step.kind === 'agentCleared') recording.agentCleared(step.atMs);
  else recording[step.kind](step.audio, step.atMs);
}

/**
 * The whole call kept in memory, then made into a WAV at the end: the simplest statement of where each piece
 * of audio belongs, and so the content a streamed recording must match.
 */
class WholeCallRecording {
  private readonly tracks = { caller: { audio: new Uint8Array(0), length: 0 }, agent: { audio: new Uint8Array(0), length: 0 } };
  private readonly maxSamples: number;

  constructor(maxMs: number) {
    this.maxSamples = maxMs * 8;
    for (const track of Object.values(this.tracks)) track.audio = new Uint8Array(this.maxSamples).fill(MULAW_SILENCE);
  }

  caller(audio: Uint8Array, atMs: number): void {
    this.place(this.tracks.caller, audio, atMs);
  }

  agent(audio: Uint8Array, atMs: number): void {
    this.place(this.tracks.agent, audio, atMs);
  }

  agentCleared(atMs: number): void {
    const track = this.tracks.agent;
    const position = sample(atMs);
    if (position >= track.length) return;
    track.audio.fill(MULAW_SILENCE, position, track.length);
    track.length = position;
  }

  toWav(): Buffer {
    const { caller, agent } = this.tracks;
    return stereoWav(mulawToPcm16(caller.audio.subarray(0, caller.length)), mulawToPcm16(agent.audio.subarray(0, agent.length)), 8000);
  }

  private place(track: { audio: Uint8Array; length: number }, audio: Uint8Array, atMs: number): void {
    const start = Math.max(sample(atMs), track.length);
    const end = Math.min(start + audio.length, this.maxSamples);
    if (end <= start) return;
    track.audio.set(audio.subarray(0, end - start), start);
    track.length = end;
  }
}

const sample = (ms: number) => Math.max(0, Math.round(ms * 8));

/**
 * A call as the call core reports it: 20 ms caller frames with jittery timestamps and some lost, agent replies
 * sent in chunks up to 2 s ahead of playback, and barge-ins that clear what is queued. Deterministic per seed.
 */
function* simulatedCall(seconds: number, seed: number): Generator<Step> {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const audio = (ms: number) => {
    const bytes = new Uint8Array(ms * 8);
    const base = Math.floor(random() * 256);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (base + i) & 0xff; // a ramp: any misplaced sample shows
    return bytes;
  };
  let queuedUntil = 0;
  let replyLeftMs = 0;
  for (let now = 0; now < seconds * 1000; now += 20) {
    if (random() > 0.02) yield { kind: 'caller', audio: audio(20), atMs: Math.max(0, now + Math.round((random() - 0.5) * 30)) };
    if (replyLeftMs === 0 && random() < 0.01) replyLeftMs = 500 + Math.floor(random() * 9000);
    while (replyLeftMs > 0 && queuedUntil < now + 2000) {
      const chunkMs = Math.min(replyLeftMs, 20 + Math.floor(random() * 600));
      const sentAt = now + random();
      yield { kind: 'agent', audio: audio(chunkMs), atMs: sentAt };
      queuedUntil = Math.max(queuedUntil, sentAt) + chunkMs;
      replyLeftMs -= chunkMs;
    }
    if (queuedUntil > now && random() < 0.004) {
      yield { kind: 'agentCleared', atMs: now + random() };
      queuedUntil = now;
      replyLeftMs = 0;
    }
  }
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WAV writer', () => {
  it('writes a valid 8 kHz 16-bit stereo file with left and right interleaved', () => {
    const wav = parseWav(stereoWav(Int16Array.from([1, 2, 3]), Int16Array.from([-1, -2]), 8000));
    expect(wav).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect([...wav.left]).toEqual([1, 2, 3]);
    expect([...wav.right]).toEqual([-1, -2, 0]);
  });
});

describe('CallRecording', () => {
  let dir: string;
  let recordings: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-rec-'));
    recordings = path.join(dir, 'recordings');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Records what `steps` place, finishes, and reads the file back. */
  async function record(steps: (recording: CallRecording) => void, maxMs?: number): Promise<ParsedWav> {
    const errors: Error[] = [];
    const recording = new CallRecording(recordings, 'CA1', { maxMs, onError: (err) => errors.push(err) });
    steps(recording);
    expect(await recording.finish()).toBe('CA1.wav');
    expect(errors).toEqual([]);
    return parseWav(readFileSync(path.join(recordings, 'CA1.wav')));
  }

  it('puts the caller on the left and the agent on the right, each at its time', async () => {
    const wav = await record((recording) => {
      recording.caller(tone(1000, 100), 0);
      recording.agent(tone(-3000, 200), 300);
    });
    expect(wav).toMatchObject({ channels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(wav.left.length).toBe(500 * 8);
    expect(at(wav.left, 50)).toBeCloseTo(1000, -2);
    expect(at(wav.right, 50)).toBe(0);
    expect(at(wav.left, 350)).toBe(0);
    expect(at(wav.right, 350)).toBeCloseTo(-3000, -2);
    expect(at(wav.right, 299)).toBe(0);
  });

  it('plays agent audio after what is still queued, as Twilio does', async () => {
    const { right } = await record((recording) => {
      recording.agent(tone(1000, 400), 0); // plays 0–400
      recording.agent(tone(2000, 400), 40); // sent early, plays 400–800
      recording.agent(tone(3000, 100), 1000); // queue empty by then: plays at 1000
    });
    expect(at(right, 399)).toBeCloseTo(1000, -2);
    expect(at(right, 400)).toBeCloseTo(2000, -2);
    expect(at(right, 799)).toBeCloseTo(2000, -2);
    expect(at(right, 900)).toBe(0);
    expect(at(right, 1000)).toBeCloseTo(3000, -2);
  });

  it('drops agent audio a barge-in cleared before it played', async () => {
    const { left, right } = await record((recording) => {
      recording.agent(tone(1000, 2000), 0); // queued 0–2000
      recording.caller(tone(500, 400), 600);
      recording.agentCleared(700);
      recording.agent(tone(2000, 200), 1500); // the next reply starts fresh
    });
    expect(at(right, 699)).toBeCloseTo(1000, -2);
    expect(at(right, 700)).toBe(0);
    expect(at(right, 1400)).toBe(0);
    expect(at(right, 1500)).toBeCloseTo(2000, -2);
    expect(at(left, 800)).toBeCloseTo(500, -2);
    expect(right.length).toBe(1700 * 8);
  });

  it('never overlaps jittery caller frames, and leaves gaps silent', async () => {
    const { left } = await record((recording) => {
      recording.caller(tone(1000, 20), 0);
      recording.caller(tone(2000, 20), 15); // arrived a little early: follows the first frame
      recording.caller(tone(3000, 20), 100);
    });
    expect(at(left, 19)).toBeCloseTo(1000, -2);
    expect(at(left, 20)).toBeCloseTo(2000, -2);
    expect(at(left, 39)).toBeCloseTo(2000, -2);
    expect(at(left, 60)).toBe(0);
    expect(at(left, 100)).toBeCloseTo(3000, -2);
  });

  it('keeps no audio past its maximum length', async () => {
    const { left } = await record((recording) => {
      recording.caller(tone(1000, 600), 0);
      recording.caller(tone(1000, 600), 600);
      recording.agent(tone(1000, 100), 5000);
    }, 1000);
    expect(left.length).toBe(8000);
  });

  it('is an empty but valid WAV when nothing was said', async () => {
    expect((await record(() => {})).left.length).toBe(0);
  });

  it('leaves audio already written as it was when a clear or a frame comes more than a window late', async () => {
    const { left, right } = await record((recording) => {
      recording.agent(tone(1000, 2000), 0);
      for (let ms = 0; ms < 30_000; ms += 20) recording.caller(tone(500, 20), ms);
      recording.agentCleared(1000); // played long ago: stays
      recording.agent(tone(3000, 100), 1000); // belongs where the file is written already: dropped
      recording.agent(tone(2000, 1000), 29_500); // plays 29.5–30.5 s
    });
    expect(at(right, 1050)).toBeCloseTo(1000, -2);
    expect(at(right, 1500)).toBeCloseTo(1000, -2);
    expect(at(right, 29_600)).toBeCloseTo(2000, -2);
    expect(at(left, 29_990)).toBeCloseTo(500, -2);
    expect(left.length).toBe(30_500 * 8);
  });

  it('streams a long call to disk as it goes, holding only a few seconds in memory', async () => {
    const callMs = 30 * 60 * 1000;
    const errors: Error[] = [];
    const recording = new CallRecording(recordings, 'CAlong', { maxMs: callMs + 60_000, onError: (err) => errors.push(err) });
    const wholeCall = new WholeCallRecording(callMs + 60_000);
    const memoryBound = 2 * 12 * 8000; // two tracks of a few seconds of μ-law
    let mostBuffered = 0;
    let nextYieldMs = 0;
    for (const step of simulatedCall(callMs / 1000, 7)) {
      apply(recording, step);
      apply(wholeCall, step);
      mostBuffered = Math.max(mostBuffered, recording.bufferedBytes);
      if (step.atMs >= nextYieldMs) {
        nextYieldMs += 5000;
        await new Promise(setImmediate); // as a live call does between frames: the file writes get their turn
      }
    }
    expect(mostBuffered).toBeLessThanOrEqual(memoryBound);

    // Before the call ends, all but the last few seconds are on disk already.
    const partial = path.join(recordings, 'CAlong.wav.partial');
    await eventually(() => statSync(partial).size >= 44 + (callMs - 12_000) * 32, 'the audio to reach the disk');

    expect(await recording.finish()).toBe('CAlong.wav');
    expect(errors).toEqual([]);
    expect(readdirSync(recordings)).toEqual(['CAlong.wav']);
    const wav = readFileSync(path.join(recordings, 'CAlong.wav'));
    const expected = wholeCall.toWav();
    expect(wav.readUInt32LE(40)).toBe(expected.length - 44);
    expect(wav.readUInt32LE(4)).toBe(expected.length - 8);
    expect(wav.length).toBe(expected.length);
    expect(wav.equals(expected)).toBe(true);
    expect(statSync(path.join(recordings, 'CAlong.wav')).mode & 0o777).toBe(0o600);
    expect(statSync(recordings).mode & 0o777).toBe(0o700);
  });

  it('matches the whole call kept in memory, byte for byte, through jitter, losses and barge-ins', async () => {
    for (const seed of [1, 2, 3]) {
      const wholeCall = new WholeCallRecording(150_000);
      const wav = await record((recording) => {
        for (const step of simulatedCall(180, seed)) {
          apply(recording, step);
          apply(wholeCall, step);
        }
      }, 150_000);
      const expected = parseWav(wholeCall.toWav());
      expect(wav.left.length).toBe(150_000 * 8);
      expect(Buffer.from(wav.left.buffer).equals(Buffer.from(expected.left.buffer))).toBe(true);
      expect(Buffer.from(wav.right.buffer).equals(Buffer.from(expected.right.buffer))).toBe(true);
      rmSync(recordings, { recursive: true });
    }
  });

  it('carries on without a recording when its folder cannot be made', async () => {
    writeFileSync(recordings, 'not a folder');
    const errors: Error[] = [];
    const recording = new CallRecording(recordings, 'CA1', { onError: (err) => errors.push(err) });
    for (let ms = 0; ms < 20_000; ms += 20) recording.caller(tone(1000, 20), ms);
    expect(await recording.finish()).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('carries on without a recording when the file cannot be completed, and leaves no partial file', async () => {
    mkdirSync(path.join(recordings, 'CA1.wav'), { recursive: true }); // the rename onto it fails
    const errors: Error[] = [];
    const recording = new CallRecording(recordings, 'CA1', { onError: (err) => errors.push(err) });
    recording.caller(tone(1000, 100), 0);
    expect(await recording.finish()).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(readdirSync(recordings)).toEqual(['CA1.wav']);
  });

  it('names the file after the call, safely', async () => {
    const recording = new CallRecording(recordings, '../../etc/passwd');
    expect(await recording.finish()).toBe('______etc_passwd.wav');
    expect(readdirSync(recordings)).toEqual(['______etc_passwd.wav']);
  });
});

describe('saveRecording', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'calls-rec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <callSid>.wav into a private folder it creates, with a safe name', () => {
    const target = path.join(dir, 'recordings');
    const wav = stereoWav(new Int16Array(8), new Int16Array(8), 8000);
    expect(saveRecording(target, 'CA123', wav)).toBe('CA123.wav');
    expect(readFileSync(path.join(target, 'CA123.wav'))).toEqual(wav);
    expect(saveRecording(target, '../../etc/passwd', wav)).toBe('______etc_passwd.wav');
    expect(existsSync(path.join(target, '______etc_passwd.wav'))).toBe(true);
    expect(readdirSync(target).sort()).toEqual(['CA123.wav', '______etc_passwd.wav']);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(target, 'CA123.wav')).mode & 0o777).toBe(0o600);
  });

  it('puts recordings next to the database', () => {
    expect(recordingsDirFor(path.join('data', 'calls.db'))).toBe(path.join('data', 'recordings'));
  });
});

describe('secureRecordingsDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'calls-rec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes an existing folder private, and leaves a missing one to be created', () => {
    const recordings = path.join(dir, 'recordings');
    secureRecordingsDir(recordings);
    expect(existsSync(recordings)).toBe(false);
    mkdirSync(recordings, { mode: 0o755 });
    secureRecordingsDir(recordings);
    expect(statSync(recordings).mode & 0o777).toBe(0o700);
  });
});
