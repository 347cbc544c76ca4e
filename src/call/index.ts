export { CallSession, MAX_MESSAGE_BYTES, type CallSessionDeps, type TwilioSocket, type Admission } from './callSession';
export { Playback, type PlaybackOutput, type Truncation } from './playback';
export { SpeechQueue, type Speech } from './speechQueue';
export { Conversation, cutAtHeard } from './conversation';
export type { CallRecorder, TranscriptionUsage } from './recorder';
