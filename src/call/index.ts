export { CallSession, MAX_MESSAGE_BYTES, type CallSessionDeps, type TwilioSocket, type Admission } from './callSession';
export { PlaybackTracker, type Truncation } from './playback';
export { Conversation, cutAtHeard } from './conversation';
export type { CallRecorder, TranscriptionUsage } from './recorder';
