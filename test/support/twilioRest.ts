/**
 * Twilio's REST API, played in-process: the twilio SDK's own HTTP client is swapped for this one
 * (`twilio(sid, token, { httpClient })`), so the real SDK builds and sends every request and reads every answer,
 * and nothing leaves the process.
 *
 * It keeps an account (trial or full, its numbers, its verified caller IDs) and answers as Twilio documents:
 *  - POST  /2010-04-01/Accounts/{sid}/Calls.json                       → 201 a queued call, or an error
 *  - GET   /2010-04-01/Accounts/{sid}.json                             → the account
 *  - GET   /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json        → one page of the account's numbers
 *  - POST  /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers/{PN}.json   → the number, updated
 * Errors have Twilio's JSON shape `{ code, message, more_info, status }`: 20003 (wrong credentials, 401), 20404
 * (no such resource), 21205 (no Url), 21210 (caller ID not verified), 21211 (To is not a number, e.g. a NANP
 * number that is not ten digits), 21219 (trial accounts
 * call verified numbers only), 20429 (429, too many requests). It imports nothing from src/.
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import Response from 'twilio/lib/http/response';

type RequestOptions = Parameters<twilio.RequestClient['request']>[0];

export interface RestRequest {
  method: string;
  /** The path, e.g. /2010-04-01/Accounts/AC…/Calls.json */
  path: string;
  /** The form fields as they would go over the wire (a list repeats its field). */
  form: URLSearchParams;
  query: URLSearchParams;
}

export interface IncomingNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  voiceApplicationSid: string;
  statusCallback: string;
  statusCallbackMethod: string;
}

export interface AccountOptions {
  accountSid: string;
  authToken: string;
  /** Trial accounts may call verified numbers only (21219). */
  trial?: boolean;
  friendlyName?: string;
  /** The account's own numbers: valid caller IDs, and what set-up points at the agent. */
  numbers?: Array<Partial<IncomingNumber> & { phoneNumber: string }>;
  /** Outgoing caller IDs verified on the account (trial accounts may also call only these). */
  verified?: string[];
}

/** Twilio's answer to a REST request: status and JSON body. */
interface Answer {
  status: number;
  body: unknown;
}

const BASE = '/2010-04-01/Accounts';
/** What Twilio accepts as a phone number in To (anything else is 21211): E.164, and in the NANP (+1) ten digits. */
function isValidNumber(number: string): boolean {
  if (!/^\+[1-9]\d{6,14}$/.test(number)) return false;
  return !number.startsWith('+1') || /^\+1[2-9]\d{2}[2-9]\d{6}$/.test(number);
}

function sid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

function twilioError(status: number, code: number, message: string): Answer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

/** The SDK's request data as the form Twilio receives: arrays become repeated fields. */
function toForm(data: unknown): URLSearchParams {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item));
  }
  return form;
}

export class TwilioRestStandIn extends twilio.RequestClient {
  readonly requests: RestRequest[] = [];
  /** The calls created, with the form each was created with. */
  readonly calls: Array<{ sid: string; form: URLSearchParams }> = [];
  readonly numbers: IncomingNumber[];
  /** Answer the next call creations with 429 / 20429, this many times. */
  rateLimitedCalls = 0;
  /** Trial accounts may call verified numbers only (21219). */
  trial: boolean;
  /** Outgoing caller IDs verified on the account. */
  readonly verified: Set<string>;

  constructor(private readonly account: AccountOptions) {
    super();
    this.numbers = (account.numbers ?? []).map((n) => ({
      sid: sid('PN'),
      friendlyName: n.phoneNumber,
      voiceUrl: '',
      voiceMethod: 'POST',
      voiceApplicationSid: '',
      statusCallback: '',
      statusCallbackMethod: 'POST',
      ...n,
    }));
    this.verified = new Set(account.verified ?? []);
    this.trial = account.trial ?? false;
  }

  /** The requests whose path ends with `suffix` (e.g. '/Calls.json'). */
  requestsTo(method: string, suffix: string): RestRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
  }

  override async request<TData>(opts: RequestOptions): Promise<Response<TData>> {
    const url = new URL(opts.uri);
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries((opts.params ?? {}) as Record<string, unknown>)) query.append(name, String(value));
    const request: RestRequest = { method: opts.method.toUpperCase(), path: url.pathname, form: toForm(opts.data), query };
    this.requests.push(request);
    const answer =
      url.hostname !== 'api.twilio.com'
        ? twilioError(404, 20404, `The requested resource ${url.href} was not found`)
        : opts.username !== this.account.accountSid || opts.password !== this.account.authToken
          ? twilioError(401, 20003, 'Authenticate')
          : this.route(request);
    return new Response(answer.status, JSON.stringify(answer.body) as TData, { 'content-type': 'application/json' });
  }

  private route(request: RestRequest): Answer {
    const account = `${BASE}/${this.account.accountSid}`;
    const { method, path } = request;
    if (method === 'GET' && path === `${account}.json`) return { status: 200, body: this.accountResource() };
    if (method === 'POST' && path === `${account}/Calls.json`) return this.createCall(request.form);
    if (method === 'GET' && path === `${account}/IncomingPhoneNumbers.json`) return this.listNumbers(request.query);
    const number = new RegExp(`^${account}/IncomingPhoneNumbers/(PN[0-9a-f]{32})\\.json$`).exec(path);
    if (method === 'POST' && number) return this.updateNumber(number[1], request.form);
    return twilioError(404, 20404, `The requested resource ${path} was not found`);
  }

  private accountResource() {
    const { accountSid } = this.account;
    return {
      sid: accountSid,
      owner_account_sid: accountSid,
      friendly_name: this.account.friendlyName ?? 'My first Twilio account',
      status: 'active',
      type: this.trial ? 'Trial' : 'Full',
      auth_token: this.account.authToken,
      date_created: 'Thu, 01 May 2025 09:00:00 +0000',
      date_updated: 'Thu, 01 May 2025 09:00:00 +0000',
      uri: `${BASE}/${accountSid}.json`,
      subresource_uris: { calls: `${BASE}/${accountSid}/Calls.json`, incoming_phone_numbers: `${BASE}/${accountSid}/IncomingPhoneNumbers.json` },
    };
  }

  private createCall(form: URLSearchParams): Answer {
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    if (!to) return twilioError(400, 21201, 'No \'To\' number is specified');
    if (!from) return twilioError(400, 21213, 'No \'From\' number is specified');
    if (!form.get('Url') && !form.get('Twiml') && !form.get('ApplicationSid')) return twilioError(400, 21205, 'Url parameter is required.');
    if (this.rateLimitedCalls > 0) {
      this.rateLimitedCalls--;
      return twilioError(429, 20429, 'Too Many Requests');
    }
    if (!isValidNumber(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!this.numbers.some((n) => n.phoneNumber === from) && !this.verified.has(from)) {
      return twilioError(400, 21210, `The source phone number provided, ${from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`);
    }
    if (this.trial && !this.verified.has(to)) {
      return twilioError(400, 21219, `The number ${to} is unverified. Trial accounts may only make calls to verified numbers.`);
    }
    const callSid = sid('CA');
    this.calls.push({ sid: callSid, form });
    const { accountSid } = this.account;
    return {
      status: 201,
      body: {
        sid: callSid,
        account_sid: accountSid,
        to,
        to_formatted: to,
        from,
        from_formatted: from,
        status: 'queued',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        parent_call_sid: null,
        phone_number_sid: this.numbers.find((n) => n.phoneNumber === from)?.sid ?? null,
        start_time: null,
        end_time: null,
        duration: null,
        price: null,
        price_unit: 'USD',
        answered_by: null,
        caller_name: null,
        forwarded_from: null,
        group_sid: null,
        queue_time: '0',
        trunk_sid: null,
        date_created: null,
        date_updated: null,
        uri: `${BASE}/${accountSid}/Calls/${callSid}.json`,
        subresource_uris: {},
      },
    };
  }

  private listNumbers(query: URLSearchParams): Answer {
    const { accountSid } = this.account;
    const pageSize = Number(query.get('PageSize') ?? 50);
    return {
      status: 200,
      body: {
        incoming_phone_numbers: this.numbers.slice(0, pageSize).map((n) => this.numberResource(n)),
        end: Math.min(pageSize, this.numbers.length) - 1,
        first_page_uri: `${BASE}/${accountSid}/IncomingPhoneNumbers.json?PageSize=${pageSize}&Page=0`,
        next_page_uri: null,
        page: 0,
        page_size: pageSize,
        previous_page_uri: null,
        start: 0,
        uri: `${BASE}/${accountSid}/IncomingPhoneNumbers.json?PageSize=${pageSize}&Page=0`,
      },
    };
  }

  private updateNumber(numberSid: string, form: URLSearchParams): Answer {
    const number = this.numbers.find((n) => n.sid === numberSid);
    if (!number) return twilioError(404, 20404, `The requested resource ${BASE}/${this.account.accountSid}/IncomingPhoneNumbers/${numberSid}.json was not found`);
    const fields: Array<[string, keyof IncomingNumber]> = [
      ['VoiceUrl', 'voiceUrl'],
      ['VoiceMethod', 'voiceMethod'],
      ['VoiceApplicationSid', 'voiceApplicationSid'],
      ['StatusCallback', 'statusCallback'],
      ['StatusCallbackMethod', 'statusCallbackMethod'],
      ['FriendlyName', 'friendlyName'],
    ];
    for (const [field, key] of fields) if (form.has(field)) number[key] = form.get(field)!;
    return { status: 200, body: this.numberResource(number) };
  }

  private numberResource(n: IncomingNumber) {
    const { accountSid } = this.account;
    return {
      sid: n.sid,
      account_sid: accountSid,
      phone_number: n.phoneNumber,
      friendly_name: n.friendlyName,
      voice_url: n.voiceUrl || null,
      voice_method: n.voiceMethod,
      voice_application_sid: n.voiceApplicationSid || null,
      voice_fallback_url: null,
      voice_fallback_method: 'POST',
      status_callback: n.statusCallback || null,
      status_callback_method: n.statusCallbackMethod,
      sms_url: '',
      sms_method: 'POST',
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      status: 'in-use',
      origin: 'twilio',
      api_version: '2010-04-01',
      uri: `${BASE}/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    };
  }
}
