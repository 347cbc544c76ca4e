import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MULAW_SILENCE, mulawToPcm16 } from '../audio';
import { stereoWav } from './wav';

const SAMPLE_RATE = 8000;
const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
const DEFAULT_MAX_MS = 30 * 60 * 1000;

/**
 * A call's audio as the two ends heard it, kept in memory as μ-law (8 KB/s a side) until the call ends: the
 * caller on one track, the agent on the other, both on the stream's clock (ms since the stream started).
 *
 * The agent track models Twilio's playback buffer: audio sent while earlier audio is still queued plays after
 * it, and a barge-in's clear drops what had not played yet. So the recording holds what the caller heard, not
 * what the model said.
 */
export class CallRecording {
  private readonly callerTrack: Track;
  private readonly agentTrack: Track;

  /** `maxMs`: audio past this point of the call is not kept (bounds memory; use the call length limit). */
  constructor(maxMs: number = DEFAULT_MAX_MS) {
    const maxSamples = Math.max(0, Math.round(maxMs * SAMPLES_PER_MS));
    this.callerTrack = new Track(maxSamples);
    this.agentTrack = new Track(maxSamples);
  }

  /** Caller audio received at stream time `atMs`. Jitter never overlaps it with what came before. */
  caller(mulaw: Uint8Array, atMs: number): void {
    this.callerTrack.append(mulaw, toSample(atMs));
  }

  /** Agent audio sent to Twilio at `atMs`: it plays once the agent audio already queued has played. */
  agent(mulaw: Uint8Array, atMs: number): void {
    this.agentTrack.append(mulaw, toSample(atMs));
  }

  /** A barge-in cleared Twilio's buffer at `atMs`: agent audio scheduled after that was never heard. */
  agentCleared(atMs: number): void {
    this.agentTrack.truncate(toSample(atMs));
  }

  /** Length of the recording so far, in ms. */
  get durationMs(): number {
    return Math.max(this.callerTrack.length, this.agentTrack.length) / SAMPLES_PER_MS;
  }

  /** 8 kHz 16-bit stereo WAV: caller left, agent right. */
  toWav(): Buffer {
    return stereoWav(mulawToPcm16(this.callerTrack.bytes()), mulawToPcm16(this.agentTrack.bytes()), SAMPLE_RATE);
  }
}

/** Recordings live in a `recordings/` folder next to the database file. */
export function recordingsDirFor(databasePath: string): string {
  return path.join(path.dirname(databasePath), 'recordings');
}

/**
 * Writes a recording as `<callSid>.wav` in `dir` (created if missing) and returns the file name. Written to a
 * temporary name first, so a crash never leaves half a file under the real name.
 */
export function saveRecording(dir: string, callSid: string, wav: Buffer): string {
  const fileName = `${callSid.replace(/[^A-Za-z0-9_-]/g, '_')}.wav`;
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, fileName);
  const temporary = `${target}.partial`;
  writeFileSync(temporary, wav);
  renameSync(temporary, target);
  return fileName;
}

function toSample(atMs: number): number {
  return Math.max(0, Math.round(atMs * SAMPLES_PER_MS));
}

/** A growable μ-law track; gaps are silence. */
class Track {
  private buffer = new Uint8Array(SAMPLE_RATE * 10).fill(MULAW_SILENCE);
  /** Samples up to here hold audio or silence; the rest of the buffer is spare. */
  length = 0;

  constructor(private readonly maxSamples: number) {}

  /** Places `audio` at `at`, or right after the audio already there if that is later. */
  append(audio: Uint8Array, at: number): void {
    const start = Math.max(at, this.length);
    const end = Math.min(start + audio.length, this.maxSamples);
    if (end <= start) return;
    this.reserve(end);
    this.buffer.set(audio.subarray(0, end - start), start);
    this.length = end;
  }

  /** Forgets everything from `at` on. */
  truncate(at: number): void {
    if (at >= this.length) return;
    this.buffer.fill(MULAW_SILENCE, at, this.length);
    this.length = at;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(samples: number): void {
    if (samples <= this.buffer.length) return;
    let size = this.buffer.length;
    while (size < samples) size *= 2;
    const grown = new Uint8Array(Math.min(size, Math.max(samples, this.maxSamples))).fill(MULAW_SILENCE);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
