export { realtimeOpener, type OpenAIRealtimeWS, type RealtimeSocketOptions } from './connect';
export { phoneSession, greetingInstructions, reseedItems, type SessionSettings } from './sessionConfig';
export type {
  Conversation,
  ConversationEvents,
  ResponseOutcome,
  ResponseUsage,
  SeedTurn,
  ToolCall,
  TranscriptionUsage,
} from './conversation';
export { OpenAIConversation, type OpenAIConversationOptions } from './openaiConversation';
export { EarlyConversations } from './earlyConversations';
