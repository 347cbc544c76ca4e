/**
 * A Twilio `media` message read straight from the websocket's bytes: 50 arrive a second per call, and turning
 * each into a string, JSON.parse (which interns every key and short value), the checks and a base64 decode were
 * the largest part of the bridge's work on a quiet call (docs/load.md). Reading the bytes once skips all of it.
 *
 * It reads only plain messages: one JSON object whose values are strings of printable ASCII without escapes, and
 * the `media` object of the same kind; spaces between tokens allowed, members in any order, unknown members with
 * string values ignored. Every message it accepts, JSON.parse and the `Media` schema accept too and read the same
 * way; anything else (an escape, a number, a repeated member, bad base64, a missing field) it leaves to them, and
 * they say what is wrong.
 */

export interface MediaFrame {
  readonly event: 'media';
  readonly streamSid: string;
  /** Where this frame starts on the stream's clock (`media.timestamp`). */
  readonly timestampMs: number;
  /** The decoded μ-law payload. */
  readonly audio: Buffer;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const EQUALS = 0x3d;
/** Digits beyond this could round differently from Number(string). */
const MAX_EXACT_DIGITS = 15;

/** The members read, one bit each, so a repeated one is caught. */
const EVENT = 1;
const SEQUENCE = 2;
const STREAM_SID = 4;
const MEDIA = 8;
const TRACK = 16;
const CHUNK = 32;
const TIMESTAMP = 64;
const PAYLOAD = 128;
const ALL = 255;
const TOP_MEMBERS = [['event', EVENT], ['streamSid', STREAM_SID], ['sequenceNumber', SEQUENCE], ['media', MEDIA]] as const;
const MEDIA_MEMBERS = [['payload', PAYLOAD], ['timestamp', TIMESTAMP], ['chunk', CHUNK], ['track', TRACK]] as const;

/** The frame, or undefined when it is not a plain, well-formed media message. */
export function readMediaFrame(bytes: Buffer): MediaFrame | undefined {
  let seen = 0;
  let streamSid = '';
  let timestampMs = 0;
  let audio: Buffer | undefined;
  let depth = 0;
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN) return undefined;
  i = skipSpace(bytes, i + 1);
  for (;;) {
    const keyStart = i + 1;
    const keyEnd = stringEnd(bytes, i);
    if (keyEnd < 0) return undefined;
    i = skipSpace(bytes, keyEnd + 1);
    if (bytes[i] !== COLON) return undefined;
    i = skipSpace(bytes, i + 1);
    if (bytes[i] === OPEN) {
      // Only `media` holds an object.
      if (depth > 0 || (seen & MEDIA) !== 0 || memberOf(bytes, keyStart, keyEnd, TOP_MEMBERS) !== MEDIA) return undefined;
      seen |= MEDIA;
      depth = 1;
      i = skipSpace(bytes, i + 1);
      continue;
    }
    const valueStart = i + 1;
    const valueEnd = stringEnd(bytes, i);
    if (valueEnd < 0) return undefined;
    const member = memberOf(bytes, keyStart, keyEnd, depth === 0 ? TOP_MEMBERS : MEDIA_MEMBERS);
    if ((seen & member) !== 0) return undefined;
    seen |= member;
    if (member === EVENT && !isKey(bytes, valueStart, valueEnd, 'media')) return undefined;
    if ((member === SEQUENCE || member === CHUNK) && decimal(bytes, valueStart, valueEnd) < 0) return undefined;
    if (member === STREAM_SID) {
      if (valueEnd === valueStart) return undefined;
      streamSid = bytes.toString('latin1', valueStart, valueEnd);
    }
    if (member === TIMESTAMP && (timestampMs = decimal(bytes, valueStart, valueEnd)) < 0) return undefined;
    if (member === PAYLOAD && !(audio = base64(bytes, valueStart, valueEnd))) return undefined;
    i = skipSpace(bytes, valueEnd + 1);
    // The end of the media object, then of the message.
    while (bytes[i] === CLOSE) {
      if (depth === 0) return skipSpace(bytes, i + 1) === bytes.length && seen === ALL ? { event: 'media', streamSid, timestampMs, audio: audio! } : undefined;
      depth = 0;
      i = skipSpace(bytes, i + 1);
    }
    if (bytes[i] !== COMMA) return undefined;
    i = skipSpace(bytes, i + 1);
  }
}

/** The bit of the member whose name is at `start`..`stop`; 0 for one not read. */
function memberOf(bytes: Buffer, start: number, stop: number, members: typeof TOP_MEMBERS | typeof MEDIA_MEMBERS): number {
  for (const [name, bit] of members) if (isKey(bytes, start, stop, name)) return bit;
  return 0;
}

function skipSpace(bytes: Buffer, i: number): number {
  for (;;) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return i;
    i++;
  }
}

/** Where the plain string (printable ASCII, no escapes) starting at `i` closes, or -1 when none does. */
function stringEnd(bytes: Buffer, i: number): number {
  if (bytes[i] !== QUOTE) return -1;
  for (let j = i + 1; j < bytes.length; j++) {
    const byte = bytes[j];
    if (byte === QUOTE) return j;
    if (byte < 0x20 || byte > 0x7e || byte === BACKSLASH) return -1;
  }
  return -1;
}

function isKey(bytes: Buffer, start: number, stop: number, key: string): boolean {
  if (stop - start !== key.length) return false;
  for (let j = 0; j < key.length; j++) if (bytes[start + j] !== key.charCodeAt(j)) return false;
  return true;
}

/** The value of a string of decimal digits, or -1 when it is not one (or too long to read exactly). */
function decimal(bytes: Buffer, start: number, stop: number): number {
  if (stop === start || stop - start > MAX_EXACT_DIGITS) return -1;
  let value = 0;
  for (let j = start; j < stop; j++) {
    const digit = bytes[j] - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Each base64 character's 6 bits, -1 for anything else. */
const SEXTETS = new Int8Array(256).fill(-1);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach((char, value) => {
  SEXTETS[char.charCodeAt(0)] = value;
});

/** Standard, padded base64 decoded, or undefined when it is not exactly that. */
function base64(bytes: Buffer, start: number, stop: number): Buffer | undefined {
  const length = stop - start;
  if (length % 4 !== 0) return undefined;
  const padding = length > 0 && bytes[stop - 1] === EQUALS ? (bytes[stop - 2] === EQUALS ? 2 : 1) : 0;
  const out = Buffer.allocUnsafe((length / 4) * 3 - padding);
  const whole = padding > 0 ? stop - 4 : stop;
  let o = 0;
  // A -1 (not base64) anywhere makes the group's bits negative.
  for (let j = start; j < whole; j += 4) {
    const bits = (SEXTETS[bytes[j]] << 18) | (SEXTETS[bytes[j + 1]] << 12) | (SEXTETS[bytes[j + 2]] << 6) | SEXTETS[bytes[j + 3]];
    if (bits < 0) return undefined;
    out[o++] = bits >> 16;
    out[o++] = (bits >> 8) & 0xff;
    out[o++] = bits & 0xff;
  }
  if (padding > 0) {
    const bits = (SEXTETS[bytes[whole]] << 18) | (SEXTETS[bytes[whole + 1]] << 12) | (padding === 1 ? SEXTETS[bytes[whole + 2]] << 6 : 0);
    if (bits < 0) return undefined;
    out[o++] = bits >> 16;
    if (padding === 1) out[o] = (bits >> 8) & 0xff;
  }
  return out;
}
