import twilio from 'twilio';

/**
 * TwiML that connects the call to our bidirectional Media Stream, carrying per-call facts as <Parameter>s. When
 * the stream closes, Twilio asks `actionUrl` what follows (a hang-up, or a transfer).
 */
export function connectStreamTwiml(streamUrl: string, parameters: Record<string, string>, actionUrl?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect(actionUrl ? { action: actionUrl } : {}).stream({ url: streamUrl });
  for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
  return response.toString();
}

/** Puts the caller through to `number`; Twilio tells `actionUrl` how that went. */
export function dialTwiml(options: { number: string; callerId: string; timeoutSeconds: number; actionUrl: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  response.dial({ callerId: options.callerId, timeout: options.timeoutSeconds, action: options.actionUrl }, options.number);
  return response.toString();
}

/** Nobody took the transfer: the caller can leave a message instead of being dropped in silence. */
export function takeMessageTwiml(actionUrl: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say('Sorry, nobody could take your call right now. Please leave a message after the tone, and we will call you back.');
  response.record({ maxLength: 120, playBeep: true, action: actionUrl });
  response.say('We did not get a message. Goodbye.');
  response.hangup();
  return response.toString();
}

export function hangUpTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
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
