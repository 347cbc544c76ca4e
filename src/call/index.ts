export { CallSession, type CallSessionDeps } from './callSession';
export { Playback, type PlaybackOutput, type Truncation } from './playback';
export { SpeechQueue, type Speech } from './speechQueue';
export { Transcript, cutAtHeard } from './transcript';
export type { CallRecorder } from './recorder';
export type { CallEvent, CallEventType, EndReason, Turn } from './types';
