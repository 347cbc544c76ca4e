export { openRealtime, type OpenAIRealtimeWS, type RealtimeSocketOptions } from './connect';
export { phoneSession, greetingResponse, type SessionSettings } from './sessionConfig';
