import express from 'express';
import type { Config, Persona } from '../config';
import type { Logger } from '../log';
import { MemorySharedState, type SharedState } from '../store';
import { placeCall } from './place';
import { MachineAnswers } from './machines';
import { CallPlans } from './plans';
import { ProgressRecords, type ProgressStore } from './records';
import type { CallSurface } from './surface';
import type { TwilioRest } from './twilioRest';
import { outboundWebhooks } from './webhooks';

export { PLACED_CALL_DIRECTION } from './webhooks';
export { twilioRest, restFailure, asTwilioError, type TwilioRest } from './twilioRest';
export { destinationRefusal, allowedPrefixes, callingCode, isE164 } from './destination';

export interface OutboundDeps {
  config: Pick<Config, 'twilio' | 'outbound' | 'persona' | 'limits' | 'log' | 'openai' | 'audioMode'>;
  log: Logger;
  /** Twilio's REST API; undefined when Twilio is not configured (placing is then refused). */
  rest: TwilioRest | undefined;
  /** Where placed calls, status callbacks and answering machines are recorded. */
  store?: ProgressStore;
  now?: () => number;
  /** Persona files are looked up from here (the working directory). */
  cwd?: string;
  /** This server instance, on the records of the calls it places. */
  instanceId?: string;
  /** Where plans are kept for every instance to find (the store, when instances share one). */
  shared?: SharedState;
}

/** Calls the agent places, and what Twilio reports about calls beyond their stream. */
export interface Outbound {
  /** `POST /` places a call: mount it under /api/calls, behind the admin token. */
  readonly api: express.Router;
  /** The Twilio webhooks, for the server to mount: it hands over what they need of it. */
  webhooks(surface: CallSurface): express.Router;
  /**
   * A stream that says it belongs to a placed call is about to start here: reads the call's plan so `personaFor`
   * knows it, and watches for who answered.
   */
  streamStarting(callSid: string): Promise<void>;
  /** The persona of a call we placed whose stream started here; undefined for any other call. */
  personaFor(callSid: string): Persona | undefined;
  /** Placed calls not connected yet: each holds a call slot. */
  readonly pending: number;
}

export function createOutbound({ config, log, rest, store, now = Date.now, cwd = process.cwd(), instanceId, shared = new MemorySharedState() }: OutboundDeps): Outbound {
  const plans = new CallPlans(
    shared,
    // A plan lasts as long as its call may: ringing, then the longest call, then Twilio's last callbacks.
    { connectTimeoutMs: config.outbound.connectTimeoutMs, keepMs: config.outbound.connectTimeoutMs + config.limits.maxCallMs + 60_000 },
    now,
  );
  const records = new ProgressRecords(store, config, log, now, instanceId);
  let surface: CallSurface | undefined;
  let machines: MachineAnswers | undefined;

  const api = express.Router();
  api.post('/', express.json({ limit: '16kb' }), async (req, res) => {
    const answer = await placeCall({ config, log, rest, plans, records, surface: () => surface, cwd }, req.body);
    res.status(answer.status).json(answer.body);
  });
  // A body that is not JSON, or too large: said in JSON too.
  api.use((err: { status?: number; message?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!err.status || err.status >= 500) return next(err);
    res.status(err.status).json({ error: `the body must be a JSON object of at most 16 KiB: ${err.message}` });
  });

  return {
    api,
    webhooks: (server) => {
      surface = server;
      machines = new MachineAnswers(shared, server.callFor, log);
      return outboundWebhooks({ log, plans, records, machines }, server);
    },
    streamStarting: async (callSid) => {
      try {
        await plans.load(callSid);
      } catch (err) {
        // Someone answered: better the configured persona than hanging up on them.
        log.error('could not read the plan of a placed call: it speaks as the configured persona', { callSid, error: (err as Error).message });
      }
      if (plans.loadedFor(callSid)) machines?.watch(callSid);
    },
    personaFor: (callSid) => plans.loadedFor(callSid)?.persona,
    get pending() {
      return plans.pending;
    },
  };
}
