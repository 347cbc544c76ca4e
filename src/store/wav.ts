import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';

const HEADER_BYTES = 44;
/** Writes not yet on disk beyond this (minutes of audio) mean the disk cannot keep up: give up, keep memory bounded. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/** A canonical 44-byte-header PCM WAV file: 16-bit little-endian, two channels interleaved (left, right). */
export function stereoWav(left: Int16Array, right: Int16Array, sampleRate: number): Buffer {
  const data = interleaveStereo(left, right);
  return Buffer.concat([stereoWavHeader(data.length, sampleRate), data]);
}

/** The header of a 16-bit stereo WAV holding `dataBytes` of samples. */
function stereoWavHeader(dataBytes: number, sampleRate: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(2, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 4, 28); // byte rate
  header.writeUInt16LE(4, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** 16-bit little-endian frames, left then right; the shorter channel is padded with silence. */
export function interleaveStereo(left: Int16Array, right: Int16Array): Buffer {
  const frames = Math.max(left.length, right.length);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(left[i] ?? 0, i * 4);
    data.writeInt16LE(right[i] ?? 0, i * 4 + 2);
  }
  return data;
}

/**
 * A 16-bit stereo WAV streamed to disk: samples go to `<target>.partial` as they come (asynchronously), and
 * `finish` fills in the header's sizes and renames the file to `target`, so a crash never leaves half a file
 * under the real name. The file is private to this user (0600, folder 0700).
 *
 * A failing disk never throws: the first error goes to `onError`, the partial file is removed, and the rest is
 * ignored.
 */
export class WavFileWriter {
  private readonly partial: string;
  private stream: WriteStream | undefined;
  private dataBytes = 0;
  private failed = false;
  private closed = false;

  constructor(
    private readonly target: string,
    private readonly sampleRate: number,
    private readonly onError: (err: Error) => void,
  ) {
    this.partial = `${target}.partial`;
    try {
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    } catch (err) {
      void this.fail(err as Error);
      return;
    }
    // The sizes are not known yet: zero for now, patched by `finish`.
    this.stream = createWriteStream(this.partial, { mode: 0o600 });
    this.stream.on('error', (err) => void this.fail(err));
    this.stream.write(stereoWavHeader(0, sampleRate));
  }

  write(pcm: Buffer): void {
    if (!this.stream || this.failed || this.closed) return;
    if (this.stream.writableLength > MAX_BACKLOG_BYTES) return void this.fail(new Error('the disk cannot keep up'));
    this.stream.write(pcm);
    this.dataBytes += pcm.length;
  }

  /** True when the file is complete under its real name. Never rejects. */
  async finish(): Promise<boolean> {
    const stream = this.stream;
    if (!stream || this.failed || this.closed) return false;
    this.closed = true;
    try {
      stream.end();
      await finished(stream);
      const file = await open(this.partial, 'r+');
      try {
        await file.write(stereoWavHeader(this.dataBytes, this.sampleRate), 0, HEADER_BYTES, 0);
      } finally {
        await file.close();
      }
      await rename(this.partial, this.target);
      return true;
    } catch (err) {
      await this.fail(err as Error);
      return false;
    }
  }

  /** Gives up on the file: reports `err` (the first only) and removes what was written. */
  private async fail(err: Error): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    this.stream?.destroy();
    this.onError(err);
    await unlink(this.partial).catch(() => {});
  }
}
