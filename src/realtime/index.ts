export { openRealtime, type OpenAIRealtimeWS, type RealtimeSocketOptions } from './connect';
export { phoneSession, greetingResponse, reseedItems, type SessionSettings } from './sessionConfig';
