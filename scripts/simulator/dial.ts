import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import WebSocket from 'ws';

/** How the simulator reaches the agent: as Twilio would, or as the softphone page does. */
export type Via = 'twilio' | 'softphone';

export interface TwilioCredentials {
  publicUrl: string;
  accountSid: string;
  authToken: string;
}

/** A call the server has answered: its media websocket is open, and `start` is what to send on it first. */
export interface PlacedCall {
  via: Via;
  ws: WebSocket;
  callSid: string;
  streamSid: string;
  start: { accountSid: string; customParameters: Record<string, string> };
  /** Once the stream has closed: the number the agent transferred the caller to, if it did. */
  afterStream(): Promise<string | undefined>;
}

const USER_AGENT = 'phone-agent-simulator';

/**
 * Places a call the way Twilio does: the voice webhook, form-encoded and signed for PUBLIC_URL; then the `<Stream>`
 * the TwiML names, its upgrade signed too. The requests go to `url` (where the server listens), the signatures
 * cover PUBLIC_URL (what the server checks), as behind ngrok.
 */
export async function dialAsTwilio(url: string, credentials: TwilioCredentials, caller: { from: string; to: string }): Promise<PlacedCall> {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  const params = { CallSid: callSid, AccountSid: credentials.accountSid, From: caller.from, To: caller.to, Direction: 'inbound', CallStatus: 'ringing' };
  const twiml = await signedPost(url, credentials, '/incoming-call', params);
  const stream = parseStream(twiml);
  const ws = await openSocket(`${toWs(url)}/media-stream`, { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(credentials.authToken, stream.url, {}) });
  return {
    via: 'twilio',
    ws,
    callSid,
    streamSid: `MZ${randomBytes(16).toString('hex')}`,
    start: { accountSid: credentials.accountSid, customParameters: stream.parameters },
    afterStream: async () => {
      // Twilio asks the <Connect action> what follows the stream: a hang-up, or a <Dial> when the agent transfers.
      const action = stream.action?.startsWith(credentials.publicUrl) ? stream.action.slice(credentials.publicUrl.length) : '/call-ended';
      const next = await signedPost(url, credentials, action, {
        CallSid: callSid,
        AccountSid: credentials.accountSid,
        From: caller.from,
        To: caller.to,
        CallStatus: 'in-progress',
      });
      return /<Dial\b[^>]*>\s*([^<\s]+)\s*<\/Dial>/.exec(next)?.[1];
    },
  };
}

/** Places a call the way the softphone page does: a ticket with the admin token, then the page's websocket. */
export async function dialAsSoftphone(url: string, adminToken: string): Promise<PlacedCall> {
  const response = await fetch(`${url}/phone/call`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'User-Agent': USER_AGENT } });
  if (response.status === 401) throw new Error(`the server refused the admin token (401): use the ADMIN_TOKEN the server runs with`);
  if (!response.ok) throw new Error(`the server would not place a softphone call (${response.status}); is ${url} the agent?`);
  const ticket = (await response.json()) as { callSid: string; streamSid: string; token: string };
  const ws = await openSocket(`${toWs(url)}/phone/stream`, {});
  return {
    via: 'softphone',
    ws,
    callSid: ticket.callSid,
    streamSid: ticket.streamSid,
    start: { accountSid: '', customParameters: { token: ticket.token } },
    afterStream: async () => undefined,
  };
}

async function signedPost(url: string, credentials: TwilioCredentials, path: string, params: Record<string, string>): Promise<string> {
  const signature = twilio.getExpectedTwilioSignature(credentials.authToken, `${credentials.publicUrl}${path}`, params);
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, 'User-Agent': USER_AGENT },
    body: new URLSearchParams(params).toString(),
  });
  const body = await response.text();
  if (response.status === 403) throw new Error(`the server refused the signature on ${path} (403): PUBLIC_URL and TWILIO_AUTH_TOKEN must be the server's`);
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${said(body) ?? body.slice(0, 200)}`);
  return body;
}

/** The `<Connect action><Stream url>` of the webhook's TwiML and its `<Parameter>`s; a refusal names what it said. */
function parseStream(twiml: string): { url: string; action?: string; parameters: Record<string, string> } {
  const stream = /<Stream\b([^>]*?)\/?>/.exec(twiml);
  if (!stream) throw new Error(`the server did not connect the call${said(twiml) ? `: "${said(twiml)}"` : ''}`);
  const url = attribute(stream[1], 'url');
  if (!url) throw new Error('the TwiML <Stream> has no url');
  const connect = /<Connect\b([^>]*?)>/.exec(twiml);
  const parameters: Record<string, string> = {};
  for (const match of twiml.matchAll(/<Parameter\b([^>]*?)\/?>/g)) {
    const name = attribute(match[1], 'name');
    if (name) parameters[name] = attribute(match[1], 'value') ?? '';
  }
  return { url, action: connect ? attribute(connect[1], 'action') : undefined, parameters };
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(attributes);
  return match ? decodeXml(match[1]) : undefined;
}

function said(twiml: string): string | undefined {
  const say = /<Say\b[^>]*>([^<]*)<\/Say>/.exec(twiml);
  return say ? decodeXml(say[1]) : undefined;
}

function decodeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(Number(e.slice(1))),
  );
}

function toWs(url: string): string {
  return url.replace(/^http/, 'ws');
}

function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'User-Agent': USER_AGENT, ...headers } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`the media websocket was refused (${res.statusCode})`)));
    ws.once('error', reject);
  });
}
