import { chmodSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MULAW_SILENCE, mulawToPcm16 } from '../audio';
import { interleaveStereo, WavFileWriter } from './wav';

const SAMPLE_RATE = 8000;
const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
const DEFAULT_MAX_MS = 30 * 60 * 1000;
/**
 * How far back audio can still change: agent audio is sent a few seconds ahead of playback and a barge-in
 * clears what is queued, and caller frames jitter. Audio older than this is final.
 */
const WINDOW_SAMPLES = 10 * SAMPLE_RATE;
/** Final audio goes to the file in steps of at least this much, not a write per 20 ms frame. */
const STEP_SAMPLES = 2 * SAMPLE_RATE;
const TRACK_SAMPLES = WINDOW_SAMPLES + STEP_SAMPLES;

/**
 * A call's audio as the two ends heard it, streamed to `<dir>/<callSid>.wav` as the call goes: an 8 kHz 16-bit
 * stereo WAV, the caller on the left, the agent on the right, both on the stream's clock (ms since the stream
 * started).
 *
 * The agent track models Twilio's playback buffer: audio sent while earlier audio is still queued plays after
 * it, and a barge-in's clear drops what had not played yet. So the recording holds what the caller heard, not
 * what the model said.
 *
 * Only the last few seconds are kept in memory, where audio can still move; what is older is written out, so
 * memory stays the same however long the call. A failing disk never hurts the call: the first error goes to
 * `onError` and the call goes on without a recording.
 */
export class CallRecording {
  private readonly fileName: string;
  private readonly file: WavFileWriter;
  private readonly timeline: Timeline;

  /** `maxMs`: audio past this point of the call is not kept (use the call length limit). */
  constructor(dir: string, callSid: string, options: { maxMs?: number; onError?: (err: Error) => void } = {}) {
    this.fileName = recordingFileName(callSid);
    this.file = new WavFileWriter(path.join(dir, this.fileName), SAMPLE_RATE, options.onError ?? (() => {}));
    this.timeline = new Timeline(toSample(options.maxMs ?? DEFAULT_MAX_MS), (pcm) => this.file.write(pcm));
  }

  /** Caller audio received at stream time `atMs`. Jitter never overlaps it with what came before. */
  caller(mulaw: Uint8Array, atMs: number): void {
    this.timeline.place(this.timeline.caller, mulaw, toSample(atMs));
  }

  /** Agent audio sent to Twilio at `atMs`: it plays once the agent audio already queued has played. */
  agent(mulaw: Uint8Array, atMs: number): void {
    this.timeline.place(this.timeline.agent, mulaw, toSample(atMs));
  }

  /** A barge-in cleared Twilio's buffer at `atMs`: agent audio scheduled after that was never heard. */
  agentCleared(atMs: number): void {
    this.timeline.truncate(this.timeline.agent, toSample(atMs));
  }

  /** Audio held in memory, in bytes: the same from the first frame to the last. */
  get bufferedBytes(): number {
    return this.timeline.caller.window.length + this.timeline.agent.window.length;
  }

  /** Writes the rest and completes the file. Resolves to its file name, or undefined when it could not be written. */
  async finish(): Promise<string | undefined> {
    this.timeline.end();
    return (await this.file.finish()) ? this.fileName : undefined;
  }
}

/** Recordings live in a `recordings/` folder next to the database file. */
export function recordingsDirFor(databasePath: string): string {
  return path.join(path.dirname(databasePath), 'recordings');
}

/** Makes an existing recordings folder private to this user (recordings are personal data). */
export function secureRecordingsDir(dir: string): void {
  let mode: number;
  try {
    mode = statSync(dir).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // made private when the first call creates it
    throw err;
  }
  if ((mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/**
 * Writes a whole WAV as `<callSid>.wav` in `dir` (created if missing) and returns the file name. Written to a
 * temporary name first, so a crash never leaves half a file under the real name. For recordings made elsewhere;
 * a live call streams through `CallRecording`.
 */
export function saveRecording(dir: string, callSid: string, wav: Buffer): string {
  const fileName = recordingFileName(callSid);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, fileName);
  const temporary = `${target}.partial`;
  writeFileSync(temporary, wav, { mode: 0o600 });
  renameSync(temporary, target);
  return fileName;
}

function recordingFileName(callSid: string): string {
  return `${callSid.replace(/[^A-Za-z0-9_-]/g, '_')}.wav`;
}

function toSample(atMs: number): number {
  return Math.max(0, Math.round(atMs * SAMPLES_PER_MS));
}

/** One side's μ-law audio from the timeline's `flushed` point on; past `length` it is silence. */
interface Track {
  readonly window: Uint8Array;
  /** End of the audio placed so far, in samples since the stream started. */
  length: number;
}

/**
 * Both tracks, positions in samples since the stream started. Everything before `flushed` has been handed to
 * `output` as stereo PCM and is final; the tracks' windows hold what follows.
 *
 * Audio placed before `flushed` is dropped, and a clear reaching back before it leaves the written part as is.
 * Both only happen when audio arrives more than the window late, which the call never does (it sends agent
 * audio at most a few seconds ahead), so they are not worth more memory.
 */
class Timeline {
  readonly caller = newTrack();
  readonly agent = newTrack();
  private flushed = 0;

  constructor(
    private readonly maxSamples: number,
    private readonly output: (pcm: Buffer) => void,
  ) {}

  /** Places `audio` at `at`, or right after the audio already on the track if that is later. */
  place(track: Track, audio: Uint8Array, at: number): void {
    const start = Math.max(at, track.length);
    const end = Math.min(start + audio.length, this.maxSamples);
    if (end <= start) return;
    track.length = end;
    // In pieces no longer than the window, so making room for a piece never writes out where it goes.
    for (let from = start; from < end; from += WINDOW_SAMPLES) {
      const to = Math.min(from + WINDOW_SAMPLES, end);
      if (to > this.flushed + TRACK_SAMPLES) this.flushTo(to - WINDOW_SAMPLES);
      const first = Math.max(from, this.flushed);
      if (first < to) track.window.set(audio.subarray(first - start, to - start), first - this.flushed);
    }
  }

  /** Forgets the track's audio from `at` on. */
  truncate(track: Track, at: number): void {
    if (at >= track.length) return;
    const first = Math.max(at, this.flushed);
    if (first < track.length) track.window.fill(MULAW_SILENCE, first - this.flushed, track.length - this.flushed);
    track.length = at;
  }

  /** Writes out everything. */
  end(): void {
    this.flushTo(Math.max(this.caller.length, this.agent.length));
  }

  private flushTo(position: number): void {
    while (this.flushed < position) {
      const frames = Math.min(position - this.flushed, TRACK_SAMPLES);
      this.output(interleaveStereo(mulawToPcm16(this.caller.window.subarray(0, frames)), mulawToPcm16(this.agent.window.subarray(0, frames))));
      for (const { window } of [this.caller, this.agent]) {
        window.copyWithin(0, frames);
        window.fill(MULAW_SILENCE, TRACK_SAMPLES - frames);
      }
      this.flushed += frames;
    }
  }
}

function newTrack(): Track {
  return { window: new Uint8Array(TRACK_SAMPLES).fill(MULAW_SILENCE), length: 0 };
}
