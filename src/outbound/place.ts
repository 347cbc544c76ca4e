import type { Config } from '../config';
import { personalLevel, type Logger } from '../log';
import { destinationRefusal } from './destination';
import { defaultMachineMessage, placedCallPersona, readPersonaFile, type PlacedCallBrief } from './persona';
import type { CallPlans } from './plans';
import type { ProgressRecords } from './records';
import { parsePlaceRequest } from './request';
import type { CallSurface } from './surface';
import { restFailure, type TwilioRest } from './twilioRest';

export interface PlaceDeps {
  config: Pick<Config, 'twilio' | 'outbound' | 'persona' | 'limits' | 'log'>;
  log: Logger;
  rest: TwilioRest | undefined;
  plans: CallPlans;
  records: ProgressRecords;
  /** The server the call will connect to; undefined until it has mounted the webhooks. */
  surface: () => CallSurface | undefined;
  cwd: string;
}

export interface PlaceAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Twilio reports each of these to the status callback. */
const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/**
 * Places a call as the API body asks, or says why not: every check comes before Twilio is asked, and the call
 * holds a slot from before the REST request (two requests at once cannot both take the last slot).
 */
export async function placeCall(deps: PlaceDeps, body: unknown): Promise<PlaceAnswer> {
  const { config, log, rest, plans, records } = deps;
  // Reasons name the number called: personal data, logged only where transcripts are.
  const personal = personalLevel(config.log);
  const refuse = (status: number, error: string): PlaceAnswer => {
    log.warn('refused to place a call', { status });
    log.log(personal, 'refused to place a call because', { reason: error });
    return { status, body: { error } };
  };
  const twilio = config.twilio;
  if (!twilio || !rest) return refuse(503, 'Twilio is not configured: set PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to place calls');
  const parsed = parsePlaceRequest(body);
  if (!parsed.ok) return refuse(400, parsed.reason);
  const request = parsed.request;
  const from = request.from ?? config.outbound.from;
  if (!from) return refuse(400, 'no number to call from: send "from", or set OUTBOUND_FROM');
  const refusal = destinationRefusal(request.to, from, config.outbound.allowedPrefixes);
  if (refusal) return refuse(400, refusal);
  const brief: PlacedCallBrief = { greeting: request.greeting, context: request.context };
  if (request.persona) {
    const file = readPersonaFile(config.outbound.personasDir, request.persona, deps.cwd);
    if (!file.ok) return refuse(400, file.reason);
    brief.persona = file;
  }
  const surface = deps.surface();
  if (!surface || surface.draining()) return refuse(503, 'the server is not taking calls: it is shutting down');
  const limit = config.limits.maxConcurrentCalls;
  await plans.refresh();
  if (surface.callsInUse() + plans.pending >= limit) {
    return refuse(503, `all ${limit} call slots are in use (MAX_CONCURRENT_CALLS): try again when a call has ended`);
  }

  const persona = placedCallPersona(config.persona, brief);
  const plan = await plans.add({
    from,
    to: request.to,
    persona,
    machine: request.machine,
    machineMessage: request.machineMessage ?? defaultMachineMessage(persona),
  });
  // The plan's id in every URL lets each webhook find it, even one that comes before the REST answer.
  const url = (route: string) => `${twilio.publicUrl}${route}?plan=${plan.id}`;
  let call;
  try {
    call = await rest.calls.create({
      to: request.to,
      from,
      url: url('/outbound-answered'),
      method: 'POST',
      statusCallback: url('/call-status'),
      statusCallbackMethod: 'POST',
      statusCallbackEvent: STATUS_EVENTS,
      machineDetection: 'DetectMessageEnd',
      asyncAmd: 'true',
      asyncAmdStatusCallback: url('/amd-status'),
      asyncAmdStatusCallbackMethod: 'POST',
    });
  } catch (err) {
    await plans.ended(plan);
    const failure = restFailure(err, `the call to ${request.to}`);
    log.warn('Twilio did not place the call', { status: failure.status, code: failure.body.twilio?.code });
    log.log(personal, 'Twilio did not place the call because', { reason: failure.body.error });
    return failure;
  }
  await plans.bind(plan.id, call.sid);
  // On record before the answer, so the call can be looked up as soon as its SID is known.
  await records.placed(plan, call.sid, {
    persona: request.persona ?? persona.instructionsFrom,
    greeting: persona.greeting || undefined,
    context: request.context,
    machine: request.machine,
  });
  log.info('placed a call', { callSid: call.sid, persona: persona.name, machine: request.machine });
  log.log(personal, 'placed a call to', { callSid: call.sid, from, to: request.to });
  return { status: 201, body: { callSid: call.sid, status: call.status, from, to: request.to, persona: persona.name, machine: request.machine } };
}
