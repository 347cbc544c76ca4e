import twilio from 'twilio';

/** TwiML that connects the call to our bidirectional Media Stream, carrying per-call facts as <Parameter>s. */
export function connectStreamTwiml(streamUrl: string, parameters: Record<string, string>): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({ url: streamUrl });
  for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
  return response.toString();
}

/** A spoken refusal that ends the call, for when we cannot take it. */
export function sayAndHangUpTwiml(message: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(message);
  response.hangup();
  return response.toString();
}

/**
 * The Media Streams URL Twilio dials: wss on PUBLIC_URL's host and path. Also the URL the upgrade signature
 * covers. A path prefix is kept for the proxy that serves the agent under it (and strips it before /media-stream).
 */
export function mediaStreamUrl(publicUrl: string): string {
  const { host, pathname } = new URL(publicUrl);
  return `wss://${host}${pathname.replace(/\/+$/, '')}/media-stream`;
}
