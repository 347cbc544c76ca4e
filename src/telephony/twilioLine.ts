import { MediaStreamLine, type MediaStreamLineOptions, type MediaStreamSocket } from './mediaStreamLine';
import type { LineStart } from './line';
import type { TwilioStart } from './mediaStream';

/** The Twilio side of a call, as express-ws hands it to us. */
export type TwilioSocket = MediaStreamSocket;

export interface TwilioLineOptions extends MediaStreamLineOptions {
  /** The call hands its caller to `number`: Twilio asks what follows the stream once it has closed. */
  onTransfer: (callSid: string, number: string) => void | Promise<void>;
}

/**
 * A caller on a Twilio bidirectional Media Stream. Who is calling comes from the stream's parameters, which our
 * own TwiML set from the (signed) webhook.
 */
export class TwilioLine extends MediaStreamLine {
  constructor(
    ws: TwilioSocket,
    private readonly twilioOptions: TwilioLineOptions,
  ) {
    super(ws, twilioOptions, 'Twilio');
  }

  /**
   * Closing the stream ends `<Connect>`, and Twilio asks its action URL what follows: a hang-up, or for this call
   * a `<Dial>` to `number`.
   */
  transfer(number: string): void {
    // Twilio asks as soon as the stream closes, maybe another instance: the number must be on record first.
    const noted = this.callSid ? this.twilioOptions.onTransfer(this.callSid, number) : undefined;
    void Promise.resolve(noted).finally(() => this.hangUp());
  }

  protected caller(start: TwilioStart): Pick<LineStart, 'from' | 'to' | 'direction'> {
    const { from = '', to = '', direction = 'inbound' } = start.start.customParameters;
    return { from, to, direction };
  }
}
