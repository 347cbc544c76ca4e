import express from 'express';
import type { Logger } from '../log';
import { isCallOutcome, isFinalOutcome } from '../store';
import { hangUpTwiml } from '../telephony';
import type { MachineAnswers } from './machines';
import type { CallPlan, CallPlans } from './plans';
import type { ProgressRecords } from './records';
import type { CallSurface } from './surface';

/** How a placed call's stream says it is one (Twilio's own name for a call placed through its REST API). */
export const PLACED_CALL_DIRECTION = 'outbound-api';

/** The answer is the end of the call for an answering machine; a fax machine gets no message either. */
const MACHINE_ENDS = new Set(['machine_end_beep', 'machine_end_silence', 'machine_end_other']);

export interface WebhookDeps {
  log: Logger;
  plans: CallPlans;
  records: ProgressRecords;
  machines: MachineAnswers;
}

/**
 * Twilio's webhooks for calls beyond the inbound one: a placed call was answered (connect it to the agent, as its
 * plan says), its progress (any call's: ringing, answered, how it ended), and who answered it.
 */
export function outboundWebhooks({ log, plans, records, machines }: WebhookDeps, surface: CallSurface): express.Router {
  const router = express.Router();
  const planOf = async (req: express.Request, callSid: string): Promise<CallPlan | undefined> => {
    const id = typeof req.query.plan === 'string' ? req.query.plan : undefined;
    return id === undefined ? plans.forCall(callSid) : plans.bind(id, callSid);
  };

  router.post(
    '/outbound-answered',
    surface.twilioWebhook(async (_params, callSid, res, req) => {
      const plan = await planOf(req, callSid);
      if (!plan) {
        // Placed by an earlier run of the server, or long ago: nobody knows what this call is for.
        log.warn('hung up a placed call without a plan', { callSid });
        res.send(hangUpTwiml());
        return;
      }
      if (surface.draining()) {
        log.info('hung up a placed call: shutting down', { callSid });
        res.send(hangUpTwiml());
        return;
      }
      const twiml = await surface.connectStream(callSid, { from: plan.from, to: plan.to, direction: PLACED_CALL_DIRECTION }, plan.persona);
      if (!twiml) {
        log.warn('refused a webhook for a placed call that was already answered', { callSid, ip: req.ip });
        res.status(409).send(hangUpTwiml());
        return;
      }
      await plans.answered(plan.id);
      log.info('a placed call was answered', { callSid, persona: plan.persona.name });
      res.send(twiml);
    }),
  );

  router.post(
    '/call-status',
    surface.twilioWebhook(async (params, callSid, res, req) => {
      const status = params.CallStatus ?? '';
      if (!isCallOutcome(status)) {
        log.warn('a status callback without a known CallStatus', { callSid, status });
        res.status(400).send('Unknown CallStatus');
        return;
      }
      const plan = await planOf(req, callSid);
      log.info('call status', { callSid, status, ...(params.CallDuration ? { seconds: Number(params.CallDuration) } : {}) });
      if (plan && isFinalOutcome(status)) await plans.ended(plan);
      // Answered once it is on record, so what Twilio reported can be read from any instance after the answer.
      await records.status(callSid, status, params, plan);
      res.status(204).end();
    }),
  );

  router.post(
    '/amd-status',
    surface.twilioWebhook(async (params, callSid, res, req) => {
      const answeredBy = params.AnsweredBy ?? 'unknown';
      const plan = await planOf(req, callSid);
      log.info('answering machine detection', { callSid, answeredBy, ms: Number(params.MachineDetectionDuration ?? 0) });
      const recorded = records.answeredBy(callSid, answeredBy, params, plan);
      if (MACHINE_ENDS.has(answeredBy) || answeredBy === 'fax') {
        const message = answeredBy !== 'fax' && plan?.machine === 'message' ? plan.machineMessage : undefined;
        await machines.answered(callSid, message);
      }
      await recorded;
      res.status(204).end();
    }),
  );

  return router;
}
