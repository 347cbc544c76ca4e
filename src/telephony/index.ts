export { parseTwilioMessage, outbound, type TwilioMessage, type TwilioStart, type ParseResult } from './mediaStream';
export { connectStreamTwiml, dialTwiml, hangUpTwiml, mediaStreamUrl, sayAndHangUpTwiml, takeMessageTwiml } from './twiml';
export { isSignedByTwilio } from './signature';
export { StreamTokens } from './streamTokens';
export { FloodGuard } from './floodGuard';
export type { Line, LineEvents, LineStart } from './line';
export { TwilioLine, MAX_MESSAGE_BYTES, type TwilioSocket, type TwilioLineOptions, type Admission } from './twilioLine';
