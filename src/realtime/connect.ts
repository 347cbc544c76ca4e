import { createSecureContext, type ConnectionOptions } from 'node:tls';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { ClientOptions } from 'ws';
import type { Config } from '../config';

export type { OpenAIRealtimeWS };

/** Extra websocket options, e.g. the CA of a local test server. Production passes none. */
export type RealtimeSocketOptions = Pick<ClientOptions, 'ca' | 'handshakeTimeout'>;

/**
 * Returns what opens one GA Realtime websocket through the official SDK. The SDK builds the URL from the base URL
 * exactly as it does for every other API call (https://host/v1 → wss://host/v1/realtime?model=…).
 *
 * Every call's socket shares one SDK client and one TLS context: Node builds a fresh context for each
 * connection otherwise, ~13 KB of native memory per call, plus ~8 KB for a client per call (docs/load.md).
 *
 * The socket never offers per-message compression (ws offers it unless told not to): deflating a 20 ms append of
 * base64 PCM16 took ~110 µs here against ~40 µs for all the rest of the bridge's work on a caller frame, for a
 * message 0.6× the size (docs/load.md), and each compressing socket holds zlib's windows in native memory.
 *
 * Its frames are masked with a zero key, which ws then skips: masking only matters where a browser script chooses
 * the bytes and an unencrypted proxy reads them, and here the server chooses every byte and TLS hides them. With a
 * random key ws copies and XORs every append (6.4 KB for 100 ms of PCM16) into a fresh buffer (docs/load.md).
 */
export function realtimeOpener(openai: Config['openai'], { ca, ...socketOptions }: RealtimeSocketOptions = {}): () => OpenAIRealtimeWS {
  const client = new OpenAI({ apiKey: openai.apiKey, baseURL: openai.baseURL ?? null });
  const secureContext = createSecureContext(ca ? { ca } : {});
  // ws hands its options on to tls.connect, secureContext included (its types do not list it).
  const options: ClientOptions & Pick<ConnectionOptions, 'secureContext'> = { handshakeTimeout: 10_000, perMessageDeflate: false, secureContext, generateMask: zeroMask, ...socketOptions };
  return () => new OpenAIRealtimeWS({ model: openai.model, options }, client);
}

function zeroMask(mask: Buffer): void {
  mask.fill(0);
}
