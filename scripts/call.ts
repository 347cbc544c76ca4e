/**
 * Places a call: the running server's POST /api/calls, with ADMIN_TOKEN.
 *
 *   npm run call -- +14155550123 [--persona personas/appointment-booking.md] [--greeting "Hi, this is Sam…"]
 *                  [--from +14155550100] [--context "Remind Maria of Tuesday at 3 pm"]
 *                  [--machine hangup|message] [--machine-message "…"] [--url http://localhost:3000] [--json]
 *
 * Reads ADMIN_TOKEN and PORT from the environment or .env.
 */
import { parseArgs } from 'node:util';
import { runAsCommand, type CommandIo } from './command';

/** The same default as src/config.ts; read on its own so placing a call needs nothing else of the config. */
const DEFAULT_PORT = 3000;

const USAGE = `Usage:
  npm run call -- <number> [options]     places a call from the agent to <number> (E.164, e.g. +14155550123)

Options:
  --persona <file>          a persona file in personas/, e.g. personas/appointment-booking.md (default: the configured one)
  --greeting <text>         the agent's first words (default: none, it waits for whoever answers to speak)
  --context <text>          what the agent should know about this call, e.g. "Remind Maria of Tuesday at 3 pm"
  --from <number>           the caller ID, a number of your Twilio account (default: OUTBOUND_FROM)
  --machine <choice>        when an answering machine answers: hangup (default) or message
  --machine-message <text>  the message to leave (implies --machine message; default: built from the greeting)
  --url <url>               the running server (default: http://localhost:PORT)
  --json                    print the server's answer as JSON
Needs ADMIN_TOKEN (the server's) in the environment or .env.
`;

export type CallCliIo = CommandIo;

/** Runs the CLI; resolves to the exit code: 0 placed, 1 refused or unreachable, 2 bad usage. */
export async function main(argv: string[], io: CallCliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        persona: { type: 'string' },
        greeting: { type: 'string' },
        context: { type: 'string' },
        from: { type: 'string' },
        machine: { type: 'string' },
        'machine-message': { type: 'string' },
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`${positionals.length === 0 ? 'Say which number to call.' : `One number at a time (got ${positionals.join(' ')}).`}\n\n${USAGE}`);
    return 2;
  }
  const token = io.env.ADMIN_TOKEN?.trim();
  if (!token) {
    io.err('Set ADMIN_TOKEN (in the environment or .env) to the token the server uses: it guards placing calls.\n');
    return 2;
  }
  const base = (values.url ?? `http://localhost:${io.env.PORT?.trim() || DEFAULT_PORT}`).replace(/\/+$/, '');
  const body = {
    to: positionals[0],
    persona: values.persona,
    greeting: values.greeting,
    context: values.context,
    from: values.from,
    machine: values.machine,
    machineMessage: values['machine-message'],
  };

  let response: Response;
  try {
    response = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    io.err(`Could not reach the server at ${base} (${(err as Error).cause ?? (err as Error).message}). Is it running? (npm start, or --url)\n`);
    return 1;
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (values.json) io.out(`${JSON.stringify(answer, null, 2)}\n`);
  if (!response.ok) {
    const twilio = answer.twilio as { code?: number; moreInfo?: string } | undefined;
    const more = twilio?.code ? ` (Twilio error ${twilio.code}${twilio.moreInfo ? `: ${twilio.moreInfo}` : ''})` : '';
    io.err(`Not placed: ${String(answer.error ?? `the server answered ${response.status}`)}${more}\n`);
    return 1;
  }
  if (!values.json) {
    const machine = answer.machine === 'message' ? 'leave a message' : 'hang up';
    io.out(
      `Calling ${String(answer.to)} from ${String(answer.from)} as ${String(answer.persona)} (answering machines: ${machine}).\n` +
        `Call SID ${String(answer.callSid)}: follow it with  npm run calls -- show ${String(answer.callSid)}\n`,
    );
  }
  return 0;
}

if (require.main === module) runAsCommand(main, {});
