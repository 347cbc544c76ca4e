import type { Request, RequestHandler, Response } from 'express';
import type { Persona } from '../config';
import type { MachineListener } from './machines';

/** What the outbound routes need from the server they are mounted on. */
export interface CallSurface {
  /** The server's wrapper for Twilio's form webhooks: the signature is checked before `handle` runs. */
  twilioWebhook(handle: (params: Record<string, string>, callSid: string, res: Response, req: Request) => void | Promise<void>): RequestHandler[];
  /**
   * TwiML that connects the call to a media stream with a fresh one-time token, the call speaking as `persona`;
   * undefined when the call had one already.
   */
  connectStream(callSid: string, parameters: { from: string; to: string; direction: string }, persona: Persona): Promise<string | undefined>;
  /** The call with this CallSid, when it is active on this instance. */
  callFor(callSid: string): MachineListener | undefined;
  /** Calls holding one of the server's slots: active ones and the ones whose stream is about to start. */
  callsInUse(): number;
  /** The server is shutting down and takes no new calls. */
  draining(): boolean;
}
