import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import expressWs from 'express-ws';
import { CallSession, type CallEvent, type CallRecorder } from './call';
import type { Config, Persona } from './config';
import { errorHandler } from './httpErrors';
import { personalLevel, type Logger } from './log';
import { AgentMetrics, metricsRoute, ReadinessProbe } from './metrics';
import { PLACED_CALL_DIRECTION, type Outbound } from './outbound';
import { EarlyConversations, OpenAIConversation, phoneSession, realtimeOpener, type RealtimeSocketOptions } from './realtime';
import {
  connectStreamTwiml,
  dialTwiml,
  hangUpTwiml,
  isSignedByTwilio,
  MAX_MESSAGE_BYTES,
  mediaStreamUrl,
  sayAndHangUpTwiml,
  StreamTokens,
  takeMessageTwiml,
  TwilioLine,
  BrowserLine,
  type Line,
  type LineEvents,
  type LineStart,
  type TwilioSocket,
  type MediaStreamSocket,
} from './telephony';
import { isSameOrigin, showOnPage, type SoftphoneTickets } from './softphone';
import { MemorySharedState, type SharedState } from './store';
import { sessionTools as toolsForSession, type ToolRegistry } from './tools';

export interface ServerDeps {
  config: Config;
  log: Logger;
  /** What instances must agree on (a stream token used once, a transfer's number): the shared store, or this process. */
  shared?: SharedState;
  /** Extra options for the model websocket (tests pass the CA of their local fake). */
  realtimeSocketOptions?: RealtimeSocketOptions;
  /** Starts a call's record; without it calls are not recorded. */
  record?: (start: LineStart) => CallRecorder;
  /** Mounted as is: the review pages and API. */
  review?: express.Router;
  /** The tools offered to the model. */
  tools?: ToolRegistry;
  /** Adds an event to a call's record after its stream ended (how a transfer went). */
  note?: (callSid: string, event: Omit<CallEvent, 'at'>) => void;
  /** Calls the agent places: their webhooks and personas, and the call slots they hold until they connect. */
  outbound?: Outbound;
  /** The tickets the softphone page hands out: with them, /phone/stream takes calls from browsers. */
  softphone?: SoftphoneTickets;
  /** Where every call is counted; by default a registry of this server's own, without the process's metrics. */
  metrics?: AgentMetrics;
  /** With it, GET /metrics is served on this server behind this token; without it, not on this server. */
  metricsToken?: string;
  /** For /ready: whether the store answers a cheap query. Unset: the store is not checked. */
  storeReady?: () => Promise<boolean>;
}

export interface AgentServer {
  readonly http: http.Server;
  readonly activeCalls: ReadonlySet<CallSession>;
  readonly metrics: AgentMetrics;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /**
   * Says it is not ready at once, goes on taking calls for `noticeMs` (so a load balancer sends new ones
   * elsewhere first), then refuses calls, lets active ones finish for up to `timeoutMs`, ends the rest and closes.
   */
  drain(timeoutMs: number, noticeMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The socket's own hard limit. Frames over MAX_MESSAGE_BYTES are refused by the line with a reason; this
 * only stops a peer from making us buffer megabytes first.
 */
const MAX_FRAME_BYTES = 16 * MAX_MESSAGE_BYTES;
const APOLOGY_AUDIO = path.join(__dirname, '..', 'assets', 'apology.ulaw');

/** A model session opened while the phone rang waits this long for its call's stream. */
const EARLY_SESSION_TTL_MS = 15_000;
/** Twilio asks what follows a closed stream at once; a transfer's number is kept this long for it. */
const TRANSFER_NOTE_MS = 10 * 60_000;
/** How long a transfer rings before the caller is offered to leave a message. */
const TRANSFER_RING_SECONDS = 20;
const E164 = /^\+[1-9]\d{6,14}$/;

const BUSY_MESSAGE = 'Sorry, all of our lines are busy right now. Please call again in a few minutes. Goodbye.';
const CLOSED_MESSAGE = 'Sorry, we are not taking calls at the moment. Please call again shortly. Goodbye.';

/** The HTTP and websocket surface: routes only, no call logic. */
export function createServer({ config, log, realtimeSocketOptions, record, review, tools, note, softphone, outbound, shared = new MemorySharedState(), ...deps }: ServerDeps): AgentServer {
  const app = express();
  const server = http.createServer(app);
  const wsInstance = expressWs(app, server, { wsOptions: { maxPayload: MAX_FRAME_BYTES } });
  const activeCalls = new Set<CallSession>();
  const tokens = new StreamTokens(config.streamTokenSecret, shared, undefined, config.limits.maxCallMs);
  const early = new EarlyConversations(EARLY_SESSION_TTL_MS);
  const apologyAudio = readFileSync(APOLOGY_AUDIO);
  const twilio = config.twilio;
  const sessionTools = tools ? toolsForSession(tools) : [];
  /** Shutting down: /ready says so, and new calls are still taken until `draining`. */
  let leaving = false;
  /** Shutting down: new calls are refused. */
  let draining = false;
  const metrics = deps.metrics ?? new AgentMetrics({ model: config.openai.model, prices: config.store.prices });
  metrics.countActiveCalls(() => activeCalls.size);
  const readiness = new ReadinessProbe({ store: deps.storeReady, modelKey: config.openai.apiKey !== '', log });

  if (twilio?.skipSignatureCheck) {
    log.warn('!!! TWILIO_SKIP_SIGNATURE_CHECK is on: anyone who finds this server can place calls on your OpenAI key. Local development only. !!!');
  }
  /** Calls holding a slot: active ones, answered ones whose stream is about to start, and placed ones ringing. */
  const callsInUse = () => activeCalls.size + tokens.pending + (outbound?.pending ?? 0);
  /**
   * TwiML that connects the call to its media stream with a fresh one-time token; undefined for a call answered
   * already. The call's model session opens now, while Twilio sets the stream up, so the greeting can start
   * the moment the stream does.
   */
  const connectStream = async (callSid: string, parameters: { from: string; to: string; direction: string }, persona = config.persona): Promise<string | undefined> => {
    const token = await tokens.mint(callSid);
    if (!token) return undefined;
    if (config.limits.earlyModelSession) early.open(callSid, newConversation(persona));
    return connectStreamTwiml(mediaStreamUrl(twilio!.publicUrl), { token, ...parameters }, `${twilio!.publicUrl}/call-ended`);
  };
  const signedByTwilio = (signature: string | string[] | undefined, url: string, params: Record<string, unknown>) =>
    twilio !== undefined && (twilio.skipSignatureCheck || isSignedByTwilio(twilio.authToken, signature, url, params));

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);

  app.get('/health', (_req, res) => {
    res.status(draining ? 503 : 200).json({ status: draining ? 'draining' : 'ok', activeCalls: activeCalls.size });
  });

  // Whether to send this instance calls: not draining, the store answers, the model key is configured.
  app.get('/ready', async (_req, res) => {
    const { ready, checks, failed } = await readiness.check(leaving);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks, failed });
  });

  if (deps.metricsToken) app.use(metricsRoute(metrics, deps.metricsToken, log));

  /** A Twilio webhook: form body, signature checked over the URL Twilio used (not the one Express sees behind a proxy). */
  const twilioWebhook =
    (handle: (params: Record<string, string>, callSid: string, res: express.Response, req: express.Request) => void | Promise<void>) =>
    [
      express.urlencoded({ extended: false, limit: '64kb' }),
      async (req: express.Request, res: express.Response) => {
        res.type('text/xml');
        if (!twilio) {
          log.warn('refused a Twilio call: PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set');
          res.status(503).send(sayAndHangUpTwiml('Sorry, this line is not configured yet. Goodbye.'));
          return;
        }
        const params: Record<string, string> = req.body ?? {};
        const url = `${twilio.publicUrl}${req.originalUrl}`;
        if (!signedByTwilio(req.header('x-twilio-signature'), url, params)) {
          log.warn('rejected a webhook without a valid Twilio signature', { url, ip: req.ip });
          res.status(403).send('Forbidden');
          return;
        }
        if (!params.CallSid) {
          res.status(400).send('Missing CallSid');
          return;
        }
        await handle(params, params.CallSid, res, req);
      },
    ];

  app.post(
    '/incoming-call',
    twilioWebhook(async (params, callSid, res, req) => {
      if (draining) {
        log.info('refused a call: shutting down', { callSid });
        res.send(sayAndHangUpTwiml(CLOSED_MESSAGE));
        return;
      }
      if (callsInUse() >= config.limits.maxConcurrentCalls) {
        log.warn('refused a call: at the concurrent call limit', { callSid, limit: config.limits.maxConcurrentCalls });
        res.send(sayAndHangUpTwiml(BUSY_MESSAGE));
        return;
      }
      const twiml = await connectStream(callSid, { from: params.From ?? '', to: params.To ?? '', direction: params.Direction ?? 'inbound' });
      if (!twiml) {
        // A replayed webhook: its call was answered already, and a second stream would open a second paid session.
        log.warn('refused a webhook for a call that was already answered', { callSid, ip: req.ip });
        res.status(409).send(sayAndHangUpTwiml(CLOSED_MESSAGE));
        return;
      }
      log.info('incoming call', { callSid });
      log.log(personalLevel(config.log), 'incoming call from', { callSid, from: params.From, to: params.To });
      res.send(twiml);
    }),
  );

  // The stream closed: the call hung up, or hands the caller to a person.
  app.post(
    '/call-ended',
    twilioWebhook(async (params, callSid, res) => {
      // The number a call's stream closed to hand the caller to, whichever instance had the stream.
      const number = await shared.take(`transfer:${callSid}`);
      if (!number) {
        res.send(hangUpTwiml());
        return;
      }
      // Twilio accepts the caller's own number as caller ID, so the person answering sees who is calling.
      const callerId = E164.test(params.From ?? '') ? params.From : params.To;
      log.info('transferring the caller', { callSid });
      res.send(dialTwiml({ number, callerId, timeoutSeconds: TRANSFER_RING_SECONDS, actionUrl: `${twilio!.publicUrl}/transfer-ended` }));
    }),
  );

  app.post(
    '/transfer-ended',
    twilioWebhook((params, callSid, res) => {
      const status = params.DialCallStatus ?? 'unknown';
      const answered = status === 'completed' || status === 'answered';
      log.info('transfer ended', { callSid, status });
      note?.(callSid, { type: 'note', summary: answered ? 'the transfer was answered' : `nobody took the transfer (${status}): the caller was asked to leave a message`, detail: { status } });
      res.send(answered ? hangUpTwiml() : takeMessageTwiml(`${twilio!.publicUrl}/message-recorded`));
    }),
  );

  app.post(
    '/message-recorded',
    twilioWebhook((params, callSid, res) => {
      const seconds = Number(params.RecordingDuration ?? 0);
      log.info('the caller left a message', { callSid, seconds });
      note?.(callSid, { type: 'note', summary: `the caller left a ${seconds} s message`, detail: { recordingUrl: params.RecordingUrl, seconds } });
      res.send(sayAndHangUpTwiml('Thank you, we have your message. Goodbye.'));
    }),
  );

  /** One call: the caller on `line`, bridged to a conversation with the model, recorded by `recordCall`. */
  const bridge = (line: Line & { attach(events: LineEvents): void }, recordCall = record): CallSession => {
    const session = new CallSession(line, {
      config,
      log,
      // The session opened while the phone rang, if it is on this instance; otherwise a new one.
      openConversation: (events, persona, start) => {
        const conversation = early.take(start.callSid) ?? newConversation(persona);
        conversation.listen(events);
        return conversation;
      },
      // Metrics see exactly what the call's record sees.
      record: (start) => metrics.recorder(start, recordCall?.(start)),
      personaFor: (start) => personaOf(start.callSid),
      apologyAudio,
      tools,
      // Only an admitted stream is a call: a socket that never starts holds no call slot and no drain.
      onStarted: (started) => activeCalls.add(started),
      onEnded: (ended) => activeCalls.delete(ended),
    });
    line.attach(session);
    return session;
  };

  const openRealtime = realtimeOpener(config.openai, realtimeSocketOptions);
  function newConversation(persona: Persona): OpenAIConversation {
    const { limits } = config;
    return new OpenAIConversation({
      open: openRealtime,
      session: () => phoneSession({ ...config, persona }, sessionTools),
      audioMode: config.audioMode,
      readyTimeoutMs: limits.modelReadyTimeoutMs,
      keepAliveMs: limits.keepAliveMs,
    });
  }

  /** A call we placed speaks as the persona it was placed with (wherever it was placed); every other call as the configured one. */
  function personaOf(callSid: string): Persona {
    return outbound?.personaFor(callSid) ?? config.persona;
  }

  wsInstance.app.ws('/media-stream', (ws, req) => {
    // express-ws rewrites req.url, so the signed URL is rebuilt from config, exactly as the TwiML gave it.
    if (!twilio || !signedByTwilio(req.headers['x-twilio-signature'], mediaStreamUrl(twilio.publicUrl), {})) {
      log.warn('refused a media stream without a valid Twilio signature', { ip: req.socket.remoteAddress });
      ws.close(1008, 'forbidden');
      return;
    }
    const line = new TwilioLine(ws as unknown as TwilioSocket, {
      admit: async ({ start }) => {
        const redeemed = await tokens.redeem(start.callSid, start.customParameters.token);
        if (!redeemed.ok) return redeemed;
        if (start.customParameters.direction === PLACED_CALL_DIRECTION) await outbound?.streamStarting(start.callSid);
        return { ok: true as const, reachedAt: redeemed.mintedAt };
      },
      startTimeoutMs: config.limits.streamStartTimeoutMs,
      keepAliveMs: config.limits.keepAliveMs,
      onTransfer: (callSid, number) => shared.put(`transfer:${callSid}`, number, Date.now() + TRANSFER_NOTE_MS),
    });
    const session = bridge(line);
    ws.on('error', (err) => log.warn('media stream socket error', { ...session.ids, error: err.message }));
  });

  // A call from the softphone page: the same call, admitted by the one-time ticket the signed-in page was given.
  if (softphone) {
    wsInstance.app.ws('/phone/stream', (ws, req) => {
      if (!isSameOrigin(req.headers.origin, req.host)) {
        log.warn('refused a softphone stream opened by another site', { origin: req.headers.origin, ip: req.socket.remoteAddress });
        ws.close(1008, 'forbidden');
        return;
      }
      if (draining || callsInUse() >= config.limits.maxConcurrentCalls) {
        log.warn('refused a softphone call', { reason: draining ? 'shutting down' : 'at the concurrent call limit' });
        ws.close(1013, draining ? 'not taking calls at the moment' : 'all lines are busy');
        return;
      }
      const line = new BrowserLine(ws as unknown as MediaStreamSocket, {
        admit: (start) => softphone.redeem(start.start.callSid, start.streamSid, start.start.customParameters.token),
        userAgent: req.headers['user-agent'] ?? '',
        startTimeoutMs: config.limits.streamStartTimeoutMs,
        keepAliveMs: config.limits.keepAliveMs,
      });
      const session = bridge(line, (start) => showOnPage(line, record?.(start)));
      ws.on('error', (err) => log.warn('softphone socket error', { ...session.ids, error: err.message }));
    });
  }

  if (outbound) {
    const callFor = (callSid: string) => [...activeCalls].find((call) => call.ids.callSid === callSid);
    app.use(outbound.webhooks({ twilioWebhook, connectStream, callFor, callsInUse, draining: () => draining }));
  }
  if (review) app.use(review);
  app.use(errorHandler(log));

  const close = async () => {
    early.closeAll();
    for (const call of [...activeCalls]) call.end('server-shutdown');
    for (const client of wsInstance.getWss().clients) client.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    http: server,
    activeCalls,
    metrics,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    drain: async (timeoutMs, noticeMs = 0) => {
      leaving = true;
      if (noticeMs > 0) {
        log.info('not ready: taking calls until the load balancer notices', { noticeMs });
        await new Promise((r) => setTimeout(r, noticeMs));
      }
      draining = true;
      const deadline = Date.now() + timeoutMs;
      while (activeCalls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (activeCalls.size > 0) log.warn('drain timeout: ending the remaining calls', { activeCalls: activeCalls.size });
      await close();
    },
    close,
  };
}
