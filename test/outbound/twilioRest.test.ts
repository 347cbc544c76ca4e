import { restFailure, twilioRest } from '../../src/outbound';
import { TwilioRestStandIn } from '../support/twilioRest';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'auth-token';
const FROM = '+14155550100';

/** What the twilio SDK throws for the stand-in's error answers, as our API answers it. */
async function failureOf(rest: TwilioRestStandIn, to: string, credentials = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }) {
  try {
    await twilioRest(credentials, rest).calls.create({ to, from: FROM, url: 'https://agent.example.test/outbound-answered' });
  } catch (err) {
    return restFailure(err, `the call to ${to}`);
  }
  throw new Error('the call was placed');
}

describe("Twilio's REST errors, as the API answers them", () => {
  const account = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [{ phoneNumber: FROM }] };

  it("passes Twilio's 400s on with the code, message and documentation link", async () => {
    expect(await failureOf(new TwilioRestStandIn(account), '+1415555012')).toEqual({
      status: 400,
      body: {
        error: "Twilio refused the call to +1415555012: The 'To' number +1415555012 is not a valid phone number.",
        twilio: { code: 21211, message: "The 'To' number +1415555012 is not a valid phone number.", moreInfo: 'https://www.twilio.com/docs/errors/21211', status: 400 },
      },
    });
    const trial = await failureOf(new TwilioRestStandIn({ ...account, trial: true }), '+14155550123');
    expect(trial.status).toBe(400);
    expect(trial.body.twilio).toMatchObject({ code: 21219, message: 'The number +14155550123 is unverified. Trial accounts may only make calls to verified numbers.' });
  });

  it('says 429 when Twilio rate limits, and 502 when it refuses our credentials', async () => {
    const rest = new TwilioRestStandIn(account);
    rest.rateLimitedCalls = 1;
    expect(await failureOf(rest, '+14155550123')).toMatchObject({ status: 429, body: { error: 'Twilio is rate limiting us: Too Many Requests', twilio: { code: 20429, status: 429 } } });
    const wrong = await failureOf(rest, '+14155550123', { accountSid: ACCOUNT_SID, authToken: 'wrong' });
    expect(wrong.status).toBe(502);
    expect(wrong.body.error).toMatch(/check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/);
    expect(wrong.body.twilio).toMatchObject({ code: 20003, status: 401 });
  });

  it('says 502 when Twilio cannot be reached', () => {
    expect(restFailure(new Error('getaddrinfo ENOTFOUND api.twilio.com'), 'the call to +14155550123')).toEqual({
      status: 502,
      body: { error: 'could not reach Twilio about the call to +14155550123: getaddrinfo ENOTFOUND api.twilio.com' },
    });
  });
});
