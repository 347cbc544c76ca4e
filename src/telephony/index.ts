export { parseTwilioMessage, outbound, type TwilioMessage, type TwilioStart, type ParseResult } from './mediaStream';
export { connectStreamTwiml, dialTwiml, hangUpTwiml, mediaStreamUrl, sayAndHangUpTwiml, takeMessageTwiml } from './twiml';
export { isSignedByTwilio } from './signature';
export { StreamTokens, type Claims, type Redemption } from './streamTokens';
export { FloodGuard } from './floodGuard';
export type { Line, LineEvents, LineStart } from './line';
export { MAX_MESSAGE_BYTES, type Admission, type MediaStreamSocket } from './mediaStreamLine';
export { TwilioLine, type TwilioSocket, type TwilioLineOptions } from './twilioLine';
export { BrowserLine, MAX_USER_AGENT_CHARS, type BrowserLineOptions, type PageEvent } from './browserLine';
