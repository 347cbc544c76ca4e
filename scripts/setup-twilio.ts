/**
 * Points a Twilio number at the agent: checks the credentials, lists the account's numbers, and sets the chosen
 * number's voice webhook to PUBLIC_URL/incoming-call and its status callback to PUBLIC_URL/call-status.
 *
 *   npm run setup:twilio [-- --number +14155550100] [--dry-run]
 *
 * Reads TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and PUBLIC_URL from the environment or .env.
 */
import { parseArgs } from 'node:util';
import { runAsCommand, type CommandIo } from './command';
import { asTwilioError, twilioRest, type TwilioRest } from '../src/outbound';

const USAGE = `Usage:
  npm run setup:twilio                      checks the account and, if it has one number, points it at the agent
  npm run setup:twilio -- --number <+1…>    points that number at the agent
  npm run setup:twilio -- --dry-run         prints what would change, and changes nothing

Needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and PUBLIC_URL (your https ngrok URL) in the environment or .env.
`;

export interface SetupIo extends CommandIo {
  /** The REST client for these credentials (tests pass one that plays Twilio). */
  rest?: (credentials: { accountSid: string; authToken: string }) => TwilioRest;
}

/** The voice settings of a number, as the agent needs them. */
interface VoiceSettings {
  voiceUrl: string;
  voiceMethod: string;
  voiceApplicationSid: string;
  statusCallback: string;
  statusCallbackMethod: string;
}

const LABELS: Record<keyof VoiceSettings, string> = {
  voiceUrl: 'A call comes in (voice URL)',
  voiceMethod: '  with method',
  voiceApplicationSid: 'TwiML app (overrides the voice URL)',
  statusCallback: 'Call status changes (status callback)',
  statusCallbackMethod: '  with method',
};

/** Runs the set-up; resolves to the exit code: 0 done, 1 Twilio refused or has no such number, 2 bad usage. */
export async function main(argv: string[], io: SetupIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        number: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const accountSid = io.env.TWILIO_ACCOUNT_SID?.trim();
  const authToken = io.env.TWILIO_AUTH_TOKEN?.trim();
  const publicUrl = io.env.PUBLIC_URL?.trim().replace(/\/+$/, '');
  const missing = Object.entries({ TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, PUBLIC_URL: publicUrl })
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    io.err(`Set ${missing.join(', ')} (in the environment or .env) first.\n\n${USAGE}`);
    return 2;
  }
  if (!/^https:\/\/[^/\s]+/.test(publicUrl!)) {
    io.err(`PUBLIC_URL must be the https:// URL Twilio reaches, e.g. https://your-domain.ngrok.app (got ${publicUrl}).\n`);
    return 2;
  }
  const rest = (io.rest ?? twilioRest)({ accountSid: accountSid!, authToken: authToken! });
  const dryRun = values['dry-run'];

  try {
    const account = await rest.api.v2010.accounts(accountSid!).fetch();
    io.out(`Account ${account.friendlyName} (${account.sid}): ${account.type}, ${account.status}.\n`);
    if (account.type === 'Trial') {
      io.out('  A trial account calls only verified numbers, and callers hear a trial notice first.\n');
    }

    const numbers = await rest.incomingPhoneNumbers.list({ limit: 1000 });
    if (numbers.length === 0) {
      io.err('This account has no phone number yet: buy one in the Twilio console (Phone Numbers → Buy a number), then run this again.\n');
      return 1;
    }
    io.out(`Its numbers:\n${numbers.map((n) => `  ${n.phoneNumber}  ${n.friendlyName}  voice URL: ${n.voiceUrl || '(none)'}\n`).join('')}`);
    const wanted = values.number?.trim();
    const chosen = wanted ? numbers.find((n) => n.phoneNumber === wanted) : numbers.length === 1 ? numbers[0] : undefined;
    if (!chosen) {
      io.err(wanted ? `${wanted} is not a number of this account.\n` : 'Say which number the agent answers: --number <one of the above>.\n');
      return wanted ? 1 : 2;
    }

    const before: VoiceSettings = {
      voiceUrl: chosen.voiceUrl ?? '',
      voiceMethod: chosen.voiceMethod ?? '',
      voiceApplicationSid: chosen.voiceApplicationSid ?? '',
      statusCallback: chosen.statusCallback ?? '',
      statusCallbackMethod: chosen.statusCallbackMethod ?? '',
    };
    const after: VoiceSettings = {
      voiceUrl: `${publicUrl}/incoming-call`,
      voiceMethod: 'POST',
      voiceApplicationSid: '',
      statusCallback: `${publicUrl}/call-status`,
      statusCallbackMethod: 'POST',
    };
    const changes = (Object.keys(after) as Array<keyof VoiceSettings>).filter((key) => before[key] !== after[key]);
    io.out(`\n${chosen.phoneNumber}:\n`);
    for (const key of Object.keys(after) as Array<keyof VoiceSettings>) {
      const shown = (value: string) => value || '(none)';
      io.out(changes.includes(key) ? `  ${LABELS[key]}: ${shown(before[key])} → ${shown(after[key])}\n` : `  ${LABELS[key]}: ${shown(after[key])} (as it should be)\n`);
    }
    if (changes.length === 0) {
      io.out('\nNothing to change: the number already rings the agent.\n');
    } else if (dryRun) {
      io.out('\nDry run: nothing was changed. Run again without --dry-run to make these changes.\n');
      return 0;
    } else {
      await rest.incomingPhoneNumbers(chosen.sid).update(Object.fromEntries(changes.map((key) => [key, after[key]])));
      io.out(`\nUpdated ${chosen.phoneNumber}.\n`);
    }
    io.out(`Start the server (npm start) and call ${chosen.phoneNumber}. To place calls from it, set OUTBOUND_FROM=${chosen.phoneNumber}.\n`);
    return 0;
  } catch (err) {
    const twilio = asTwilioError(err);
    if (!twilio) {
      io.err(`Could not reach Twilio: ${(err as Error).message}\n`);
      return 1;
    }
    const hint = twilio.status === 401 ? ' Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console → Account info).' : '';
    io.err(`Twilio refused: ${twilio.message}${twilio.code ? ` (error ${twilio.code}${twilio.moreInfo ? `, ${twilio.moreInfo}` : ''})` : ''}.${hint}\n`);
    return 1;
  }
}

if (require.main === module) runAsCommand(main, {});
