import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createServer, type AgentServer } from '../../src/server';
import { FakeRealtimeServer, type FakeRealtimeOptions } from './fakeRealtime';
import { SimulatedCall, type DialOptions } from './twilioSimulator';

export const PUBLIC_URL = 'https://agent.example.test';
export const AUTH_TOKEN = 'twilio-test-auth-token';
export const ACCOUNT_SID = `AC${'0'.repeat(32)}`;

/**
 * The real server on an ephemeral loopback port, talking to a fake Realtime server over TLS.
 * Tests place calls into it with the Twilio simulator.
 */
export class TestAgent {
  private readonly calls: SimulatedCall[] = [];

  private constructor(
    readonly config: Config,
    readonly server: AgentServer,
    readonly fake: FakeRealtimeServer,
    readonly url: string,
  ) {}

  /** `adjust` may change the loaded config, e.g. limits shorter than the settings allow. */
  static async start(
    env: NodeJS.ProcessEnv = {},
    fakeOptions: FakeRealtimeOptions = {},
    adjust: (config: Config) => void = () => {},
  ): Promise<TestAgent> {
    const fake = await FakeRealtimeServer.start(fakeOptions);
    const config = loadConfig({
      OPENAI_API_KEY: 'sk-test-key-0123456789',
      OPENAI_BASE_URL: fake.baseURL,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    });
    adjust(config);
    const log = createLogger(config.log, [config.openai.apiKey, AUTH_TOKEN]);
    const server = createServer({ config, log, realtimeSocketOptions: { ca: fake.ca } });
    const address = await server.listen(0, '127.0.0.1');
    return new TestAgent(config, server, fake, `http://127.0.0.1:${address.port}`);
  }

  async dial(options: Partial<DialOptions> = {}): Promise<SimulatedCall> {
    const call = await SimulatedCall.dial({ serverUrl: this.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN, ...options });
    this.calls.push(call);
    return call;
  }

  async stop(): Promise<void> {
    for (const call of this.calls) call.close();
    await this.server.close();
    await this.fake.close();
  }
}
