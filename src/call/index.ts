export { CallSession, type CallSessionDeps, type TwilioSocket } from './callSession';
export { PlaybackTracker, type Truncation } from './playback';
