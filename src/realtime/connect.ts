import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { ClientOptions } from 'ws';
import type { Config } from '../config';

export type { OpenAIRealtimeWS };

/** Extra websocket options, e.g. the CA of a local test server. Production passes none. */
export type RealtimeSocketOptions = Pick<ClientOptions, 'ca' | 'handshakeTimeout'>;

/**
 * Opens one GA Realtime websocket through the official SDK. The SDK builds the URL from the base URL
 * exactly as it does for every other API call (https://host/v1 → wss://host/v1/realtime?model=…).
 *
 * The socket never offers per-message compression (ws offers it unless told not to): deflating a 20 ms append of
 * base64 PCM16 took ~110 µs here against ~40 µs for all the rest of the bridge's work on a caller frame, for a
 * message 0.6× the size (docs/load.md), and each compressing socket holds zlib's windows in native memory.
 */
export function openRealtime(openai: Config['openai'], socketOptions: RealtimeSocketOptions = {}): OpenAIRealtimeWS {
  const client = new OpenAI({ apiKey: openai.apiKey, baseURL: openai.baseURL ?? null });
  return new OpenAIRealtimeWS(
    { model: openai.model, options: { handshakeTimeout: 10_000, perMessageDeflate: false, ...socketOptions } },
    client,
  );
}
