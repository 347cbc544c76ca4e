import { z } from 'zod';
import type { Config } from '../config';

/** Where a transfer goes: a directory entry, or `default` for TRANSFER_NUMBER. */
export interface TransferTarget {
  name: string;
  number: string;
}

/** What the call itself does for a built-in tool; the tool layer only decides and validates. */
export type ToolAction =
  | { kind: 'end_call'; reason?: string }
  | { kind: 'transfer_call'; target: TransferTarget; reason?: string };

/** A tool the call core carries out: its validated arguments become an action, nothing runs here. */
export interface BuiltinTool {
  name: string;
  description: string;
  parameters: z.ZodObject;
  action(args: Record<string, unknown>): ToolAction;
}

export const BUILTIN_NAMES = ['end_call', 'transfer_call'] as const;

/** The name a transfer to TRANSFER_NUMBER carries. */
export const DEFAULT_TRANSFER = 'default';

const reason = (what: string) =>
  z.string().optional().describe(`Why ${what}, in a few words (kept with the call record).`);

const endCall: BuiltinTool = {
  name: 'end_call',
  description:
    'Hang up the call. Use it only when the conversation is finished and you have already said goodbye to the caller.',
  parameters: z.object({ reason: reason('the call ends') }),
  action: (args) => ({ kind: 'end_call', reason: args.reason as string | undefined }),
};

/** transfer_call is offered only with somewhere to transfer to. */
function transferCall({ number, directory }: Config['tools']['transfer']): BuiltinTool | undefined {
  const names = Object.keys(directory);
  if (number === undefined && names.length === 0) return undefined;

  const lines = [
    'Transfer the caller to a person. Use it when the caller asks for a person or needs help you cannot give.',
  ];
  let parameters = z.object({ reason: reason('the caller is transferred') });
  if (names.length > 0) {
    lines.push('Destinations:', ...names.map((name) => `- ${name}: ${directory[name].description}`));
    const destination = z.enum(names as [string, ...string[]]);
    parameters = parameters.extend({
      destination:
        number === undefined
          ? destination.describe('Who to transfer the caller to.')
          : destination.optional().describe('Who to transfer the caller to; leave it out for the main line.'),
    });
  }
  return {
    name: 'transfer_call',
    description: lines.join('\n'),
    parameters,
    action: (args) => {
      const destination = args.destination as string | undefined;
      const target = destination
        ? { name: destination, number: directory[destination].number }
        : { name: DEFAULT_TRANSFER, number: number! };
      return { kind: 'transfer_call', target, reason: args.reason as string | undefined };
    },
  };
}

/** The built-in tools these settings offer. */
export function builtinTools(transfer: Config['tools']['transfer']): BuiltinTool[] {
  return [endCall, transferCall(transfer)].filter((tool): tool is BuiltinTool => tool !== undefined);
}
