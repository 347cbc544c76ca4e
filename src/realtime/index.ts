export { openRealtime, type OpenAIRealtimeWS, type RealtimeSocketOptions } from './connect';
export { phoneSession, greetingInstructions, reseedItems, type SessionSettings } from './sessionConfig';
