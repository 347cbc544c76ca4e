import twilio from 'twilio';
import { connectStreamTwiml, isSignedByTwilio, mediaStreamUrl } from '../../src/telephony';

describe('TwiML', () => {
  it('connects the call to the media stream on the public host, with parameters', () => {
    const xml = connectStreamTwiml(mediaStreamUrl('https://agent.example.test'), { from: '+1555', to: '+1666' });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://agent.example.test/media-stream">' +
        '<Parameter name="from" value="+1555"/><Parameter name="to" value="+1666"/></Stream></Connect></Response>',
    );
  });

  it('builds the stream URL on PUBLIC_URL\'s host, port and path prefix', () => {
    expect(mediaStreamUrl('https://a.ngrok.app')).toBe('wss://a.ngrok.app/media-stream');
    expect(mediaStreamUrl('https://a.ngrok.app/')).toBe('wss://a.ngrok.app/media-stream');
    expect(mediaStreamUrl('https://example.com/agent')).toBe('wss://example.com/agent/media-stream');
    expect(mediaStreamUrl('https://a.example.test:8443/base/agent/')).toBe('wss://a.example.test:8443/base/agent/media-stream');
  });
});

describe('isSignedByTwilio', () => {
  const token = 'test-auth-token-0123456789';
  const url = 'https://agent.example.test/incoming-call';
  const params = { CallSid: 'CA1', From: '+1555' };

  it('accepts a signature made with the auth token over URL and params', () => {
    const signature = twilio.getExpectedTwilioSignature(token, url, params);
    expect(isSignedByTwilio(token, signature, url, params)).toBe(true);
  });

  it('rejects a missing, forged or mismatched signature', () => {
    const signature = twilio.getExpectedTwilioSignature(token, url, params);
    expect(isSignedByTwilio(token, undefined, url, params)).toBe(false);
    expect(isSignedByTwilio(token, '', url, params)).toBe(false);
    expect(isSignedByTwilio(token, ['a', 'b'], url, params)).toBe(false);
    expect(isSignedByTwilio('another-token-0123456789', signature, url, params)).toBe(false);
    expect(isSignedByTwilio(token, signature, url, { ...params, From: '+1666' })).toBe(false);
    expect(isSignedByTwilio(token, signature, 'https://evil.example.test/incoming-call', params)).toBe(false);
  });
});
