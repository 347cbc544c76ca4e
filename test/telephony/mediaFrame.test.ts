import { readMediaFrame } from '../../src/telephony/mediaFrame';
import { parseTwilioMessage } from '../../src/telephony';

const media = {
  event: 'media',
  sequenceNumber: '4',
  media: { track: 'inbound', chunk: '2', timestamp: '5140', payload: Buffer.from([0xff, 0x7f, 0x00, 0x80, 0x12]).toString('base64') },
  streamSid: 'MZ18ad3ab5a668481ce02b83e7395059f0',
};
const twilioFrame = JSON.stringify(media);

/** What JSON.parse and the schema make of the same text: the reader must agree whenever it reads a frame. */
function slowPath(text: string) {
  const parsed = parseTwilioMessage(text);
  return parsed.ok ? parsed.message : undefined;
}

/** Reads `text` both ways; anything the reader takes must be exactly what the slow path makes of it. */
function readBothWays(text: string) {
  const fast = readMediaFrame(Buffer.from(text, 'latin1'));
  if (fast) expect(slowPath(text)).toEqual(fast);
  return fast;
}

describe('readMediaFrame', () => {
  it("reads Twilio's media message: the stream, the frame's time and the decoded payload", () => {
    expect(readMediaFrame(Buffer.from(twilioFrame))).toEqual({
      event: 'media',
      streamSid: media.streamSid,
      timestampMs: 5140,
      audio: Buffer.from([0xff, 0x7f, 0x00, 0x80, 0x12]),
    });
  });

  it.each([
    ['members in another order', JSON.stringify({ streamSid: media.streamSid, media: { payload: media.media.payload, timestamp: '0', chunk: '1', track: 'inbound' }, event: 'media', sequenceNumber: '9' })],
    ['spaces between tokens', JSON.stringify(media, null, 2)],
    ['unknown members', JSON.stringify({ ...media, extra: 'x', media: { ...media.media, extra: 'y' } })],
    ...['', 'AAAA', 'AAA=', 'AA==', '/+/+', '////AA=='].map((payload) => [`payload "${payload}"`, JSON.stringify({ ...media, media: { ...media.media, payload } })]),
  ])('reads %s as JSON.parse does', (_label, text) => {
    expect(readBothWays(text)).toBeDefined();
  });

  it.each([
    ['an escape in a string', twilioFrame.replace('"inbound"', '"in\\u0062ound"')],
    ['a character beyond ASCII', twilioFrame.replace('"inbound"', '"inbound\u00e9"')],
    ['a repeated member', twilioFrame.replace('"event":"media"', '"event":"media","event":"media"')],
    ['media repeated as a string', twilioFrame.replace(/}$/, ',"media":"x"}')],
    ['an object in another member', twilioFrame.replace('"track":"inbound"', '"track":{}')],
    ['a number', twilioFrame.replace('"sequenceNumber":"4"', '"sequenceNumber":4')],
    ['another event', twilioFrame.replace('"event":"media"', '"event":"mark"')],
    ['an empty streamSid', twilioFrame.replace(media.streamSid, '')],
    ['a missing timestamp', twilioFrame.replace('"timestamp":"5140",', '')],
    ['a non-decimal chunk', twilioFrame.replace('"chunk":"2"', '"chunk":"-2"')],
    ['a timestamp too long to read exactly', twilioFrame.replace('"5140"', `"${'9'.repeat(16)}"`)],
    ...['AAA', 'AA=A', 'A===', '====', 'AA-_', 'AA AA=='].map((payload) => [`payload "${payload}"`, JSON.stringify({ ...media, media: { ...media.media, payload } })]),
    ['text after the message', `${twilioFrame} x`],
    ['two messages', `${twilioFrame}${twilioFrame}`],
    ['an array', `[${twilioFrame}]`],
  ])('leaves %s to JSON.parse and the schema', (_label, text) => {
    expect(readMediaFrame(Buffer.from(text))).toBeUndefined();
  });

  it('never reads a frame differently from JSON.parse, whatever one byte is changed, dropped or added', () => {
    const bytes = [...'"\\{}[],: =A0/+\u00e9'].map((char) => char.charCodeAt(0)).concat(0x00, 0x0a);
    let read = 0;
    for (let at = 0; at <= twilioFrame.length; at++) {
      const before = twilioFrame.slice(0, at);
      const variants = [before + twilioFrame.slice(at + 1), ...bytes.map((byte) => before + String.fromCharCode(byte) + twilioFrame.slice(at + 1))];
      variants.push(...bytes.map((byte) => before + String.fromCharCode(byte) + twilioFrame.slice(at)));
      for (const text of variants) if (readBothWays(text)) read++;
    }
    // Some changes still leave a well-formed frame (another payload byte, a space); the rest are left alone.
    expect(read).toBeGreaterThan(100);
  });

  it('ends a truncated frame without reading past its end', () => {
    for (let length = 0; length < twilioFrame.length; length++) {
      expect(readMediaFrame(Buffer.from(twilioFrame.slice(0, length)))).toBeUndefined();
    }
  });
});
