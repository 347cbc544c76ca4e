/**
 * Raw access to the product's Twilio surface, below the call simulator: sign and POST the voice webhook to
 * get a stream token, open `/media-stream` with whatever headers a test wants, and push arbitrary frames
 * (text or binary, well-formed or not). Used by the fuzz and soak tests; speaks only the wire protocol
 * (docs/protocols.md) and imports nothing from src/.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseStreamTwiml, signTwilioRequest } from './twilioSimulator';

export function randomSid(prefix: 'CA' | 'MZ' | 'AC'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** The wss URL Twilio signs for the media stream, from the product's PUBLIC_URL. */
export function mediaStreamWssUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/media-stream`;
}

export interface Webhook {
  status: number;
  body: string;
  /** The TwiML `<Parameter>`s (token, from, …) when the answer was a `<Connect><Stream>`. */
  customParameters: Record<string, string> | undefined;
}

/** POSTs the voice webhook as Twilio does (form-encoded, signed over PUBLIC_URL + path). */
export function postVoiceWebhook(opts: {
  serverUrl: string;
  publicUrl: string;
  authToken: string;
  callSid: string;
  accountSid: string;
  from?: string;
  to?: string;
}): Promise<Webhook> {
  const params: Record<string, string> = {
    AccountSid: opts.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: opts.callSid,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: opts.from ?? '+15555550100',
    To: opts.to ?? '+15555550199',
  };
  const path = '/incoming-call';
  const form = new URLSearchParams(params).toString();
  const signature = signTwilioRequest(opts.authToken, `${opts.publicUrl.replace(/\/+$/, '')}${path}`, params);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${opts.serverUrl}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(form)),
          'x-twilio-signature': signature,
          connection: 'close',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let customParameters: Record<string, string> | undefined;
          try {
            customParameters = parseStreamTwiml(body).customParameters;
          } catch {
            customParameters = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, customParameters });
        });
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

/** A well-formed `start` message (docs/protocols.md). */
export function startMessage(o: {
  streamSid: string;
  callSid: string;
  accountSid: string;
  customParameters?: Record<string, string>;
}): Record<string, unknown> {
  return {
    event: 'start',
    sequenceNumber: '1',
    streamSid: o.streamSid,
    start: {
      accountSid: o.accountSid,
      streamSid: o.streamSid,
      callSid: o.callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: o.customParameters ?? {},
    },
  };
}

/** A well-formed inbound `media` message: 20 ms of μ-law silence by default. */
export function mediaMessage(streamSid: string, seq: number, payload = Buffer.alloc(160, 0xff).toString('base64')): Record<string, unknown> {
  return {
    event: 'media',
    sequenceNumber: String(seq),
    streamSid,
    media: { track: 'inbound', chunk: String(seq - 1), timestamp: String((seq - 2) * 20), payload },
  };
}

export const CONNECTED_MESSAGE = JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });

export interface RawStreamOutcome {
  /** The websocket handshake completed. */
  opened: boolean;
  /** HTTP status if the upgrade was answered with an error instead. */
  httpStatus?: number;
  /** Close code and reason as the client saw them (1006: the connection died without a close frame). */
  code?: number;
  reason?: string;
  /** 'server': the server closed (or refused) it; 'timeout': nothing happened in time and we gave up. */
  endedBy: 'server' | 'timeout' | 'error';
  error?: string;
  /** Frames actually handed to the socket while it was open. */
  framesSent: number;
  /** Messages received from the server. */
  received: number;
  /** performance.now() at open and at close. */
  openedAt?: number;
  closedAt?: number;
}

export interface RawStream {
  /** Sends a frame if the socket is still open; returns whether it was sent. Buffers go as binary frames. */
  send(frame: string | Buffer): boolean;
  readonly isOpen: boolean;
}

/**
 * Opens `url` with `headers`, runs `script` once open, and resolves when the socket has closed — or after
 * `timeoutMs` of waiting for the server to close it, in which case it is terminated and `endedBy` is
 * 'timeout'. Never rejects.
 */
export function runRawStream(
  url: string,
  headers: Record<string, string>,
  script: (stream: RawStream) => void | Promise<void>,
  timeoutMs = 5000,
): Promise<RawStreamOutcome> {
  return new Promise((resolve) => {
    const out: RawStreamOutcome = { opened: false, endedBy: 'server', framesSent: 0, received: 0 };
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve(out);
    };
    const stream: RawStream = {
      send(frame) {
        if (ws.readyState !== WebSocket.OPEN) return false;
        ws.send(frame, { binary: typeof frame !== 'string' });
        out.framesSent++;
        return true;
      },
      get isOpen() {
        return ws.readyState === WebSocket.OPEN;
      },
    };
    ws.on('unexpected-response', (_req, res) => {
      out.httpStatus = res.statusCode;
      res.resume();
      ws.terminate();
      finish();
    });
    ws.on('message', () => {
      out.received++;
    });
    ws.on('error', (err) => {
      // Writes racing the server's close (EPIPE, ECONNRESET) end up here; the 'close' that follows decides.
      out.error ??= err.message;
    });
    ws.on('open', () => {
      out.opened = true;
      out.openedAt = performance.now();
      Promise.resolve()
        .then(() => script(stream))
        .catch((err: unknown) => {
          out.error ??= `script failed: ${(err as Error).message}`;
        })
        .finally(() => {
          if (done) return;
          timer = setTimeout(() => {
            out.endedBy = 'timeout';
            ws.terminate();
          }, timeoutMs);
        });
    });
    ws.on('close', (code, reason) => {
      out.code = code;
      out.reason = reason.toString('utf8');
      out.closedAt = performance.now();
      if (!out.opened && out.httpStatus === undefined) out.endedBy = 'error';
      finish();
    });
  });
}

/** Runs `tasks` with at most `concurrency` in flight; results in task order. */
export async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}
