/**
 * A phone call from the terminal: places a call against a running server, talks with a WAV file, listens like a
 * phone line, and reports what happened.
 *
 *   npm run simulate -- --wav caller.wav [--out agent.wav] [--url http://localhost:3000] [--barge-in-at 2.5]
 *
 * With PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (from the environment or .env, the server's own) it
 * calls the way Twilio does: a signed webhook, then the signed media stream. Without them it calls through the
 * softphone route with ADMIN_TOKEN (or --token). Any WAV works: it is converted to 8 kHz μ-law and streamed in real
 * time. The caller talks once the greeting is over, or --barge-in-at seconds into the agent's first words, and
 * hangs up once the agent has answered and gone quiet.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulawToPcm16 } from '../src/audio';
import { simulateCall, type TranscriptLine } from './simulator/call';
import { dialAsSoftphone, dialAsTwilio, type PlacedCall, type Via } from './simulator/dial';
import { toLineAudio } from './simulator/lineAudio';
import { renderReport } from './simulator/report';
import { monoWav, readWav } from './simulator/wav';

const USAGE = `Usage: npm run simulate -- --wav <caller.wav> [options]

  --wav <file>          what the caller says: any WAV (rate, channels, PCM, float or μ-law)
  --out <file>          save what the agent said, as the caller heard it, as a WAV (8 kHz mono)
  --url <url>           the running server (default http://localhost:$PORT, else 3000)
  --barge-in-at <s>     start talking this many seconds into the agent's first words, over it
  --via <how>           twilio (a signed webhook and stream; needs the server's Twilio settings) or
                        softphone (needs ADMIN_TOKEN); default twilio when PUBLIC_URL, TWILIO_ACCOUNT_SID
                        and TWILIO_AUTH_TOKEN are set
  --token <token>       the admin token, when ADMIN_TOKEN is not set (the server prints it at start)
`;

/** The caller's and the called number on a simulated Twilio call (fictional numbers). */
const CALLER = { from: '+15555550100', to: '+15555550199' };

export interface SimulateIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Runs the simulator; resolves to the exit code: 0 the call happened, 1 it could not be placed, 2 bad usage. */
export async function main(argv: string[], io: SimulateIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        wav: { type: 'string' },
        out: { type: 'string' },
        url: { type: 'string' },
        'barge-in-at': { type: 'string' },
        via: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const env = io.env;
  const problem = (message: string) => {
    io.err(`${message}\n\n${USAGE}`);
    return 2;
  };
  if (!args.wav) return problem('--wav is required');
  const bargeInAt = args['barge-in-at'] === undefined ? undefined : Number(args['barge-in-at']);
  if (bargeInAt !== undefined && !(bargeInAt >= 0)) return problem('--barge-in-at must be a number of seconds');
  const url = (args.url ?? `http://localhost:${env.PORT || 3000}`).replace(/\/+$/, '');
  const adminToken = args.token ?? env.ADMIN_TOKEN;
  const twilio =
    env.PUBLIC_URL && env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN
      ? { publicUrl: env.PUBLIC_URL.replace(/\/+$/, ''), accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN }
      : undefined;
  const via = (args.via ?? (twilio ? 'twilio' : 'softphone')) as Via;
  if (via !== 'twilio' && via !== 'softphone') return problem('--via is twilio or softphone');
  if (via === 'twilio' && !twilio) return problem('--via twilio needs PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the server\'s)');
  if (via === 'softphone' && !adminToken) {
    return problem('calling through the softphone needs the admin token: set ADMIN_TOKEN, or pass --token (the server prints it in its sign-in links)');
  }

  let caller: Uint8Array;
  try {
    const wav = readWav(readFileSync(args.wav));
    caller = toLineAudio(wav);
    io.out(`${args.wav}: ${(wav.samples.length / wav.sampleRate).toFixed(2)} s at ${wav.sampleRate} Hz, ${wav.channels} channel${wav.channels === 1 ? '' : 's'} → 8 kHz μ-law\n`);
  } catch (err) {
    return problem(`cannot read ${args.wav}: ${(err as Error).message}`);
  }

  let placed: PlacedCall;
  try {
    placed = via === 'twilio' ? await dialAsTwilio(url, twilio!, CALLER) : await dialAsSoftphone(url, adminToken!);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? ` (nothing listens at ${url}: start the server, or pass --url)` : cause?.message ? ` (${cause.message})` : '';
    io.err(`Could not place the call: ${(err as Error).message}${why}\n`);
    return 1;
  }
  io.out(`Calling ${url} ${via === 'twilio' ? 'as Twilio' : 'through the softphone'}: ${placed.callSid}\n`);
  const result = await simulateCall(placed, caller, { bargeInAtMs: bargeInAt === undefined ? undefined : bargeInAt * 1000, log: (line) => io.out(`${line}\n`) });

  const transcript = via === 'softphone' ? result.transcript : adminToken ? await transcriptFromRecord(url, adminToken, result.callSid) : undefined;
  const notes: string[] = [];
  if (args.out) {
    writeFileSync(args.out, monoWav(mulawToPcm16(result.heard), 8000));
    notes.push(`Saved what the agent said, as heard, to ${args.out} (${(result.heard.length / 8000).toFixed(1)} s, 8 kHz mono).`);
  }
  notes.push(`The call's record: ${url}/calls/${result.callSid}`);
  io.out(renderReport(result, transcript, notes));
  return 0;
}

/** The call's transcript from its record, once the call there has ended (a Twilio call tells the line nothing of it). */
async function transcriptFromRecord(url: string, adminToken: string, callSid: string): Promise<TranscriptLine[] | undefined> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/calls/${encodeURIComponent(callSid)}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    if (response.ok) {
      const call = (await response.json()) as { answeredAt: number; endedAt?: number; transcript: Array<Omit<TranscriptLine, 'atMs'> & { at: number }> };
      if (call.endedAt !== undefined) return call.transcript.map(({ at, ...turn }) => ({ ...turn, atMs: Math.max(0, at - call.answeredAt) }));
    } else if (response.status !== 404) {
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

if (require.main === module) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  main(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
