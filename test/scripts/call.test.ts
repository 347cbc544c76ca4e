import { main } from '../../scripts/call';
import { ADMIN_TOKEN, AGENT_NUMBER, TestAgent } from '../support/agent';

const CALLEE = '+15557770123';

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

describe('npm run call', () => {
  let agent: TestAgent;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    agent = await TestAgent.start({ OUTBOUND_FROM: AGENT_NUMBER });
    env = { ADMIN_TOKEN };
  });
  afterAll(async () => agent.stop());

  it('places the call through the running server, and says how to follow it', async () => {
    const { code, out, err } = await run(
      [CALLEE, '--persona', 'personas/support-triage.md', '--greeting', 'Hi, this is Alex.', '--context', 'Ticket 4411: the router was replaced.', '--machine-message', 'Please call us back.', '--url', agent.url],
      env,
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    const callSid = agent.rest.calls.at(-1)!.sid;
    expect(out).toBe(
      `Calling ${CALLEE} from ${AGENT_NUMBER} as support-triage (answering machines: leave a message).\n` +
        `Call SID ${callSid}: follow it with  npm run calls -- show ${callSid}\n`,
    );
    const placed = (await agent.store.get(callSid))!;
    expect(placed).toMatchObject({ direction: 'outbound', to: CALLEE, outcome: 'queued', personaName: 'support-triage' });
    expect(placed.events[0].detail).toEqual({ persona: 'personas/support-triage.md', greeting: 'Hi, this is Alex.', context: 'Ticket 4411: the router was replaced.', machine: 'message' });
  });

  it('prints the answer as JSON', async () => {
    const { code, out } = await run([CALLEE, '--json', '--url', agent.url], env);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ callSid: agent.rest.calls.at(-1)!.sid, status: 'queued', from: AGENT_NUMBER, to: CALLEE, persona: 'Receptionist', machine: 'hangup' });
  });

  it("says why a call was not placed, with Twilio's code when Twilio refused it", async () => {
    expect(await run(['+442079460000', '--url', agent.url], env)).toEqual({
      code: 1,
      out: '',
      err: 'Not placed: +442079460000 is not an allowed destination: calls may go to numbers starting with +1 (OUTBOUND_ALLOWED_PREFIXES)\n',
    });
    agent.rest.trial = true;
    const trial = await run([CALLEE, '--url', agent.url], env);
    agent.rest.trial = false;
    expect(trial.code).toBe(1);
    expect(trial.err).toMatch(/^Not placed: Twilio refused the call to \+15557770123: .* \(Twilio error 21219: https:\/\/www\.twilio\.com\/docs\/errors\/21219\)\n$/);
    expect((await run([CALLEE, '--url', agent.url], { ADMIN_TOKEN: 'not-the-token-0123456789' })).err).toMatch(/^Not placed: unauthorized/);
  });

  it('needs a number, the admin token and a running server', async () => {
    expect((await run([], env)).code).toBe(2);
    expect((await run([CALLEE, CALLEE], env)).code).toBe(2);
    expect(await run([CALLEE], {})).toMatchObject({ code: 2, err: expect.stringMatching(/^Set ADMIN_TOKEN/) });
    const unreachable = await run([CALLEE, '--url', 'http://127.0.0.1:9'], env);
    expect(unreachable).toMatchObject({ code: 1, err: expect.stringMatching(/^Could not reach the server at http:\/\/127\.0\.0\.1:9 .*Is it running\?/) });
  });
});
