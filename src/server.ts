import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import expressWs from 'express-ws';
import { CallSession } from './call';
import type { Config } from './config';
import type { Logger } from './log';
import { openRealtime, type RealtimeSocketOptions } from './realtime';
import { connectStreamTwiml, isSignedByTwilio, mediaStreamUrl, sayAndHangUpTwiml } from './telephony';

export interface ServerDeps {
  config: Config;
  log: Logger;
  /** Extra options for the model websocket (tests pass the CA of their local fake). */
  realtimeSocketOptions?: RealtimeSocketOptions;
}

export interface AgentServer {
  readonly http: http.Server;
  readonly activeCalls: ReadonlySet<CallSession>;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** Twilio frames are a few hundred bytes; anything near this is not Twilio. */
const MAX_FRAME_BYTES = 64 * 1024;

/** The HTTP and websocket surface: routes only, no call logic. */
export function createServer({ config, log, realtimeSocketOptions }: ServerDeps): AgentServer {
  const app = express();
  const server = http.createServer(app);
  const wsApp = expressWs(app, server, { wsOptions: { maxPayload: MAX_FRAME_BYTES } }).app;
  const activeCalls = new Set<CallSession>();
  const twilio = config.twilio;

  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', activeCalls: activeCalls.size });
  });

  app.post('/incoming-call', express.urlencoded({ extended: false }), (req, res) => {
    res.type('text/xml');
    if (!twilio) {
      log.warn('refused a Twilio call: PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set');
      res.status(503).send(sayAndHangUpTwiml('Sorry, this line is not configured yet. Goodbye.'));
      return;
    }
    const params: Record<string, string> = req.body ?? {};
    const url = `${twilio.publicUrl}${req.originalUrl}`;
    if (!isSignedByTwilio(twilio.authToken, req.header('x-twilio-signature'), url, params)) {
      log.warn('rejected a webhook without a valid Twilio signature', { url, ip: req.ip });
      res.status(403).send('Forbidden');
      return;
    }
    log.info('incoming call', { callSid: params.CallSid, from: params.From, to: params.To });
    res.send(
      connectStreamTwiml(mediaStreamUrl(twilio.publicUrl), {
        from: params.From ?? '',
        to: params.To ?? '',
        direction: params.Direction ?? 'inbound',
      }),
    );
  });

  wsApp.ws('/media-stream', (ws, req) => {
    // express-ws rewrites req.url, so the signed URL is rebuilt from config, exactly as the TwiML gave it.
    if (!twilio || !isSignedByTwilio(twilio.authToken, req.headers['x-twilio-signature'], mediaStreamUrl(twilio.publicUrl), {})) {
      log.warn('refused a media stream without a valid Twilio signature', { ip: req.socket.remoteAddress });
      ws.close(1008, 'forbidden');
      return;
    }
    const session = new CallSession(ws, {
      config,
      log,
      openRealtime: () => openRealtime(config.openai, realtimeSocketOptions),
      onEnded: (ended) => activeCalls.delete(ended),
    });
    activeCalls.add(session);
    // express-ws bundles ws@7, which hands text frames over as strings and binary frames as Buffers.
    ws.on('message', (data: unknown) => session.handleFrame(data));
    ws.on('close', () => session.handleTwilioClosed());
    ws.on('error', (err) => log.warn('media stream socket error', { ...session.ids, error: err.message }));
  });

  return {
    http: server,
    activeCalls,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.address() as AddressInfo));
      }),
    close: async () => {
      for (const call of [...activeCalls]) call.end('server shutting down');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
