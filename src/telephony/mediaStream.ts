import { z } from 'zod';
import { readMediaFrame, type MediaFrame } from './mediaFrame';

/**
 * Twilio Media Streams messages (bidirectional `<Connect><Stream>`), validated at the edge so the call
 * logic only ever sees well-formed, typed events. Numbers arrive as strings on the wire.
 */

const DECIMAL = /^\d+$/;
/** Standard base64 only: Twilio never sends URL-safe or unpadded payloads. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const numericString = z.string().regex(DECIMAL, 'must be a decimal string');
const streamSid = z.string().min(1);
const base64 = z.string().regex(BASE64, 'must be base64');

const Connected = z.object({ event: z.literal('connected'), protocol: z.string(), version: z.string() });

const Start = z.object({
  event: z.literal('start'),
  sequenceNumber: numericString,
  streamSid,
  start: z.object({
    accountSid: z.string(),
    streamSid,
    callSid: z.string().min(1),
    tracks: z.array(z.string()),
    mediaFormat: z.object({
      encoding: z.literal('audio/x-mulaw'),
      sampleRate: z.literal(8000),
      channels: z.literal(1),
    }),
    customParameters: z.record(z.string(), z.string()).default({}),
  }),
});

const Media = z.object({
  event: z.literal('media'),
  sequenceNumber: numericString,
  streamSid,
  media: z.object({
    track: z.string(),
    chunk: numericString,
    timestamp: numericString,
    payload: base64,
  }),
});

const Mark = z.object({
  event: z.literal('mark'),
  sequenceNumber: numericString,
  streamSid,
  mark: z.object({ name: z.string() }),
});

const Dtmf = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: numericString,
  streamSid,
  dtmf: z.object({ track: z.string(), digit: z.string().regex(/^[0-9*#A-D]$/) }),
});

const Stop = z.object({
  event: z.literal('stop'),
  sequenceNumber: numericString,
  streamSid,
  stop: z.object({ accountSid: z.string(), callSid: z.string() }),
});

const TwilioMessage = z.discriminatedUnion('event', [Connected, Start, Media, Mark, Dtmf, Stop]);

export type TwilioMessage = z.infer<typeof TwilioMessage>;
export type TwilioStart = z.infer<typeof Start>;
/** A message from the stream, media decoded. */
export type InboundMessage = Exclude<TwilioMessage, { event: 'media' }> | MediaFrame;

export type ParseResult = { ok: true; message: InboundMessage } | { ok: false; reason: string };

/**
 * Parses one text frame from Twilio. Never throws: a bad frame yields a reason to log. Media frames are read
 * straight from their bytes; whatever that reader does not take goes through JSON.parse and the schema.
 */
export function parseTwilioMessage(frame: Buffer | string): ParseResult {
  const media = typeof frame === 'string' ? undefined : readMediaFrame(frame);
  if (media) return { ok: true, message: media };
  let json: unknown;
  try {
    json = JSON.parse(frame.toString());
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  const result = TwilioMessage.safeParse(json);
  if (result.success) return { ok: true, message: result.data.event === 'media' ? decoded(result.data) : result.data };
  const event = typeof json === 'object' && json !== null ? (json as { event?: unknown }).event : undefined;
  const issue = result.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `invalid ${typeof event === 'string' ? `"${event}"` : ''} message: ${where}${issue.message}`.replace('  ', ' ') };
}

function decoded({ streamSid, media }: z.infer<typeof Media>): MediaFrame {
  return { event: 'media', streamSid, timestampMs: Number(media.timestamp), audio: Buffer.from(media.payload, 'base64') };
}

/** Messages we send to Twilio. Exactly these shapes: extra fields are a Twilio 31951 error. */
export const outbound = {
  media: (streamSid: string, payload: string) => JSON.stringify({ event: 'media', streamSid, media: { payload } }),
  mark: (streamSid: string, name: string) => JSON.stringify({ event: 'mark', streamSid, mark: { name } }),
  clear: (streamSid: string) => JSON.stringify({ event: 'clear', streamSid }),
};
