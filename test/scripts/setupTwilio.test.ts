import { main, type SetupIo } from '../../scripts/setup-twilio';
import { twilioRest } from '../../src/outbound';
import { TwilioRestStandIn, type AccountOptions } from '../support/twilioRest';

const ACCOUNT_SID = `AC${'2'.repeat(32)}`;
const AUTH_TOKEN = 'setup-auth-token';
const PUBLIC_URL = 'https://agent.example.test';
const ENV = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, PUBLIC_URL: `${PUBLIC_URL}/` };

async function run(argv: string[], rest: TwilioRestStandIn, env: NodeJS.ProcessEnv = ENV) {
  let out = '';
  let err = '';
  const io: SetupIo = { out: (t) => (out += t), err: (t) => (err += t), env, rest: (credentials) => twilioRest(credentials, rest) };
  const code = await main(argv, io);
  return { code, out, err };
}

function account(overrides: Partial<AccountOptions> = {}): TwilioRestStandIn {
  return new TwilioRestStandIn({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    friendlyName: 'Linden Physiotherapy',
    numbers: [{ phoneNumber: '+14155550100', friendlyName: 'Front desk', voiceUrl: 'https://demo.twilio.com/welcome/voice/', voiceMethod: 'GET' }],
    ...overrides,
  });
}

describe('npm run setup:twilio', () => {
  it('checks the account, lists its numbers and points the only one at the agent, printing each change', async () => {
    const rest = account();
    const { code, out, err } = await run([], rest);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(
      [
        `Account Linden Physiotherapy (${ACCOUNT_SID}): Full, active.`,
        'Its numbers:',
        '  +14155550100  Front desk  voice URL: https://demo.twilio.com/welcome/voice/',
        '',
        '+14155550100:',
        `  A call comes in (voice URL): https://demo.twilio.com/welcome/voice/ → ${PUBLIC_URL}/incoming-call`,
        '    with method: GET → POST',
        '  TwiML app (overrides the voice URL): (none) (as it should be)',
        `  Call status changes (status callback): (none) → ${PUBLIC_URL}/call-status`,
        '    with method: POST (as it should be)',
        '',
        'Updated +14155550100.',
        'Start the server (npm start) and call +14155550100. To place calls from it, set OUTBOUND_FROM=+14155550100.',
        '',
      ].join('\n'),
    );
    expect(rest.numbers[0]).toMatchObject({ voiceUrl: `${PUBLIC_URL}/incoming-call`, voiceMethod: 'POST', statusCallback: `${PUBLIC_URL}/call-status`, statusCallbackMethod: 'POST' });
    // Only what differed was sent.
    const update = rest.requestsTo('POST', `/IncomingPhoneNumbers/${rest.numbers[0].sid}.json`);
    expect(update).toHaveLength(1);
    expect([...update[0].form.keys()].sort()).toEqual(['StatusCallback', 'VoiceMethod', 'VoiceUrl']);

    // A second run finds nothing to change.
    const again = await run([], rest);
    expect(again.out).toContain('Nothing to change: the number already rings the agent.');
    expect(rest.requestsTo('POST', '.json')).toHaveLength(1);
  });

  it('only prints with --dry-run', async () => {
    const rest = account();
    const { code, out } = await run(['--dry-run'], rest);
    expect(code).toBe(0);
    expect(out).toContain(`https://demo.twilio.com/welcome/voice/ → ${PUBLIC_URL}/incoming-call`);
    expect(out).toContain('Dry run: nothing was changed.');
    expect(rest.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(rest.numbers[0].voiceUrl).toBe('https://demo.twilio.com/welcome/voice/');
  });

  it('takes the number to set up from --number when there are several, and clears a TwiML app that would override the webhook', async () => {
    const rest = account({
      numbers: [
        { phoneNumber: '+14155550100', friendlyName: 'Front desk' },
        { phoneNumber: '+14155550111', friendlyName: 'Agent', voiceApplicationSid: `AP${'3'.repeat(32)}` },
      ],
    });
    const ask = await run([], rest);
    expect(ask).toMatchObject({ code: 2, err: 'Say which number the agent answers: --number <one of the above>.\n' });
    expect(await run(['--number', '+14155550199'], rest)).toMatchObject({ code: 1, err: '+14155550199 is not a number of this account.\n' });

    const { code, out } = await run(['--number', '+14155550111'], rest);
    expect(code).toBe(0);
    expect(out).toContain(`  TwiML app (overrides the voice URL): AP${'3'.repeat(32)} → (none)`);
    expect(rest.numbers[1]).toMatchObject({ voiceApplicationSid: '', voiceUrl: `${PUBLIC_URL}/incoming-call` });
    expect(rest.numbers[0].voiceUrl).toBe('');
  });

  it('says when the credentials are wrong, the account has no number, or settings are missing', async () => {
    const wrong = await run([], account(), { ...ENV, TWILIO_AUTH_TOKEN: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe('Twilio refused: Authenticate (error 20003, https://www.twilio.com/docs/errors/20003). Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console → Account info).\n');

    const trial = await run([], account({ trial: true, numbers: [] }));
    expect(trial.out).toContain('A trial account calls only verified numbers');
    expect(trial).toMatchObject({ code: 1, err: expect.stringMatching(/^This account has no phone number yet/) });

    expect(await run([], account(), { TWILIO_ACCOUNT_SID: ACCOUNT_SID })).toMatchObject({ code: 2, err: expect.stringMatching(/^Set TWILIO_AUTH_TOKEN, PUBLIC_URL/) });
    expect(await run([], account(), { ...ENV, PUBLIC_URL: 'http://localhost:3000' })).toMatchObject({ code: 2, err: expect.stringMatching(/^PUBLIC_URL must be the https:\/\/ URL/) });
  });
});
