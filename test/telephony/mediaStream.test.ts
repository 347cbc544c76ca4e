import { outbound, parseTwilioMessage } from '../../src/telephony';

const start = {
  event: 'start',
  sequenceNumber: '1',
  streamSid: 'MZ123',
  start: {
    accountSid: 'AC123',
    streamSid: 'MZ123',
    callSid: 'CA123',
    tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    customParameters: { from: '+15550001111' },
  },
};
const media = {
  event: 'media',
  sequenceNumber: '4',
  streamSid: 'MZ123',
  media: { track: 'inbound', chunk: '2', timestamp: '20', payload: '////' },
};

describe('parseTwilioMessage', () => {
  it.each([
    ['connected', { event: 'connected', protocol: 'Call', version: '1.0.0' }],
    ['start', start],
    ['media', media],
    ['mark', { event: 'mark', sequenceNumber: '5', streamSid: 'MZ123', mark: { name: 'item_1:40:1' } }],
    ['dtmf', { event: 'dtmf', sequenceNumber: '6', streamSid: 'MZ123', dtmf: { track: 'inbound_track', digit: '#' } }],
    ['stop', { event: 'stop', sequenceNumber: '7', streamSid: 'MZ123', stop: { accountSid: 'AC123', callSid: 'CA123' } }],
  ])('accepts a well-formed %s message', (event, message) => {
    const result = parseTwilioMessage(JSON.stringify(message));
    expect(result).toEqual({ ok: true, message: expect.objectContaining({ event }) });
  });

  it('keeps custom parameters from start, and defaults them to {}', () => {
    const parsed = parseTwilioMessage(JSON.stringify(start));
    expect(parsed.ok && parsed.message.event === 'start' && parsed.message.start.customParameters).toEqual({ from: '+15550001111' });
    const { customParameters: _, ...bare } = start.start;
    const parsedBare = parseTwilioMessage(JSON.stringify({ ...start, start: bare }));
    expect(parsedBare.ok && parsedBare.message.event === 'start' && parsedBare.message.start.customParameters).toEqual({});
  });

  it.each([
    ['non-JSON text', 'hello', /not JSON/],
    ['an unknown event', JSON.stringify({ event: 'dance', streamSid: 'MZ' }), /invalid "dance" message/],
    ['a JSON array', '[1,2]', /invalid/],
    ['media without payload', JSON.stringify({ ...media, media: { ...media.media, payload: undefined } }), /media.payload/],
    ['media with bad base64', JSON.stringify({ ...media, media: { ...media.media, payload: '@@@' } }), /base64/],
    ['numeric sequenceNumber', JSON.stringify({ ...media, sequenceNumber: 4 }), /sequenceNumber/],
    ['a non-μ-law start', JSON.stringify({ ...start, start: { ...start.start, mediaFormat: { encoding: 'audio/l16', sampleRate: 8000, channels: 1 } } }), /encoding/],
    ['a mark without a name', JSON.stringify({ event: 'mark', sequenceNumber: '5', streamSid: 'MZ123', mark: {} }), /mark.name/],
    ['a bad DTMF digit', JSON.stringify({ event: 'dtmf', sequenceNumber: '6', streamSid: 'MZ123', dtmf: { track: 'inbound_track', digit: 'x' } }), /dtmf.digit/],
  ])('rejects %s with a reason', (_label, frame, reason) => {
    const result = parseTwilioMessage(frame);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('outbound messages', () => {
  it('have exactly the shapes Twilio accepts', () => {
    expect(JSON.parse(outbound.media('MZ1', 'AAA='))).toEqual({ event: 'media', streamSid: 'MZ1', media: { payload: 'AAA=' } });
    expect(JSON.parse(outbound.mark('MZ1', 'm1'))).toEqual({ event: 'mark', streamSid: 'MZ1', mark: { name: 'm1' } });
    expect(JSON.parse(outbound.clear('MZ1'))).toEqual({ event: 'clear', streamSid: 'MZ1' });
  });
});
