import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startAfterCall, type AfterCallDeps } from '../../src/afterCall';
import { storeRecorder } from '../../src/call/storeRecorder';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createOutbound, twilioRest } from '../../src/outbound';
import { createReviewRouter } from '../../src/review';
import { createServer, type AgentServer } from '../../src/server';
import { createSoftphoneRouter, SoftphoneTickets } from '../../src/softphone';
import { liveAsInstance, openCallStore, type CallStore } from '../../src/store';
import { loadToolRegistry } from '../../src/tools';
import { FakeRealtimeServer, type FakeRealtimeOptions, type FakeSession } from './fakeRealtime';
import { signTwilioRequest, SimulatedCall, type DialOptions } from './twilioSimulator';
import { TwilioRestStandIn } from './twilioRest';

export const PUBLIC_URL = 'https://agent.example.test';
export const AUTH_TOKEN = 'twilio-test-auth-token';
export const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The account's Twilio number: the agent answers it, and places calls from it. */
export const AGENT_NUMBER = '+15555550199';

/**
 * The real server on an ephemeral loopback port, talking to a fake Realtime server over TLS, keeping call
 * records in a throwaway database. Tests place calls into it with the Twilio simulator.
 */
export class TestAgent {
  private readonly calls: SimulatedCall[] = [];

  private constructor(
    readonly config: Config,
    readonly server: AgentServer,
    readonly fake: FakeRealtimeServer,
    readonly url: string,
    readonly store: CallStore,
    /** Twilio's REST API as the server's Twilio client sees it. */
    readonly rest: TwilioRestStandIn,
    private readonly dataDir: string,
    /** Resolves once every ended call's recording is complete and on its record. */
    readonly recordingsSettled: () => Promise<void>,
    private readonly stopBeating: () => void,
    private readonly stopAfterCall: () => Promise<void>,
  ) {}

  /**
   * `adjust` may change the loaded config, e.g. limits shorter than the settings allow; `afterCall`, how the work
   * after calls is done (the analysis model's client, shorter waits).
   */
  static async start(
    env: NodeJS.ProcessEnv = {},
    fakeOptions: FakeRealtimeOptions = {},
    adjust: (config: Config) => void = () => {},
    afterCall: Partial<Omit<AfterCallDeps, 'config' | 'store' | 'log'>> = {},
  ): Promise<TestAgent> {
    const fake = await FakeRealtimeServer.start(fakeOptions);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'agent-test-'));
    const config = loadConfig({
      DATABASE_PATH: path.join(dataDir, 'calls.db'),
      ADMIN_TOKEN,
      OPENAI_API_KEY: 'sk-test-key-0123456789',
      OPENAI_BASE_URL: fake.baseURL,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      // Each test server is an instance of its own, even on one host and one database.
      INSTANCE_ID: `test-${path.basename(dataDir)}`,
      ...env,
    });
    adjust(config);
    const log = createLogger(config.log, [config.openai.apiKey, AUTH_TOKEN]);
    // SQLite in the throwaway folder, or PostgreSQL when the test sets DATABASE_URL.
    const store = await openCallStore(config.store);
    const recordingsDir = config.store.recordingsDir;
    const rest = new TwilioRestStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [{ phoneNumber: AGENT_NUMBER }] });
    // An instance among others on the records, as main() runs one: it beats, and its calls carry its id.
    const { instanceId } = config;
    const instance = await liveAsInstance(store, instanceId);
    const outbound = createOutbound({ config, log, store, shared: store, rest: twilioRest({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, rest), instanceId });
    const work = startAfterCall({ config, store, log, ...afterCall });
    const record = storeRecorder(store, { config, recordingsDir, personaFor: outbound.personaFor, instanceId, afterCall: work.callEnded }, log);
    const softphone = new SoftphoneTickets();
    const server = createServer({
      config,
      log,
      realtimeSocketOptions: { ca: fake.ca },
      record,
      review: createReviewRouter({
        store,
        adminToken: ADMIN_TOKEN,
        recordingsDir,
        softphone: createSoftphoneRouter({ tickets: softphone, agentName: config.persona.name }),
        placeCalls: outbound.api,
      }),
      softphone,
      tools: loadToolRegistry(config.tools),
      note: (callSid, event) => void store.addEvent(callSid, { at: Date.now(), ...event }).catch(() => {}),
      outbound,
      // Tokens and transfers through the records, as with several instances on one database.
      shared: store,
    });
    const address = await server.listen(0, '127.0.0.1');
    return new TestAgent(config, server, fake, `http://127.0.0.1:${address.port}`, store, rest, dataDir, record.settled, instance.stop, work.stop);
  }

  async dial(options: Partial<DialOptions> = {}): Promise<SimulatedCall> {
    const call = await SimulatedCall.dial({ serverUrl: this.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN, ...options });
    this.calls.push(call);
    return call;
  }

  /** Places a call and waits until its model session is configured: the moment a caller could start talking. */
  async dialReady(options: Partial<DialOptions> = {}): Promise<{ call: SimulatedCall; session: FakeSession }> {
    const call = await this.dial(options);
    const session = await this.fake.nextSession();
    await session.waitFor((e) => e.type === 'session.update');
    return { call, session };
  }

  /** A form webhook as Twilio posts it, signed over PUBLIC_URL + `route` (forged when `signed` is false). */
  async postAsTwilio(route: string, params: Record<string, string>, signed = true): Promise<{ status: number; body: string }> {
    const body = { AccountSid: ACCOUNT_SID, ...params };
    const response = await fetch(`${this.url}${route}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signed ? signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}${route}`, body) : 'forged',
      },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, body: await response.text() };
  }

  /**
   * Opens a signed media stream by hand and sends `start` for `callSid` with `customParameters` (where Twilio
   * brings the stream token), as a replay or a forger would; resolves with the code the server closes it with.
   */
  async rawStream(callSid: string, customParameters: Record<string, string>): Promise<number> {
    const ws = new WebSocket(`${this.url.replace('http', 'ws')}/media-stream`, {
      headers: { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `wss://${new URL(PUBLIC_URL).host}/media-stream`, {}) },
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.on('open', resolve));
    const streamSid = `MZ${callSid.slice(2)}`;
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid,
        start: {
          accountSid: ACCOUNT_SID,
          streamSid,
          callSid,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters,
        },
      }),
    );
    return closed;
  }

  async stop(): Promise<void> {
    for (const call of this.calls) call.close();
    await this.server.close();
    await this.fake.close();
    await this.recordingsSettled();
    await this.stopAfterCall();
    this.stopBeating();
    await this.store.shutdown();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
