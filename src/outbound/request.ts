import { z } from 'zod';

/** The body of POST /api/calls, checked: what to place, and as whom. */

export type MachineChoice = 'hangup' | 'message';

export interface PlaceRequest {
  to: string;
  /** A persona file, e.g. `personas/receptionist.md`. */
  persona?: string;
  greeting?: string;
  from?: string;
  context?: string;
  /** What to do when an answering machine answers: hang up (the default) or leave a message. */
  machine: MachineChoice;
  /** The message to leave; a default is built from the greeting. */
  machineMessage?: string;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const RequestSchema = z.strictObject({
  to: z.string({ error: 'is required: the number to call, in E.164 form (+14155550123)' }).trim(),
  persona: text(300).optional(),
  greeting: text(500).optional(),
  from: z.string().trim().optional(),
  context: text(4000).optional(),
  machine: z.enum(['hangup', 'message'], { error: 'must be "hangup" or "message"' }).optional(),
  machineMessage: text(1000).optional(),
});

export function parsePlaceRequest(body: unknown): { ok: true; request: PlaceRequest } | { ok: false; reason: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'send a JSON object, e.g. {"to": "+14155550123"}' };
  }
  const parsed = RequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') return { ok: false, reason: `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` };
    return { ok: false, reason: `"${issue.path.join('.')}" ${issue.message}` };
  }
  const { machine, machineMessage, from, ...rest } = parsed.data;
  if (machine === 'hangup' && machineMessage) {
    return { ok: false, reason: '"machineMessage" is left only with "machine": "message"' };
  }
  return { ok: true, request: { ...rest, ...(from ? { from } : {}), machine: machine ?? (machineMessage ? 'message' : 'hangup'), ...(machineMessage ? { machineMessage } : {}) } };
}
