import twilio from 'twilio';

/** Twilio's REST API: the client, and its errors as our API answers them. */

export type TwilioRest = twilio.Twilio;

/** The REST client for the account; tests pass an `httpClient` that plays Twilio's part. */
export function twilioRest(credentials: { accountSid: string; authToken: string }, httpClient?: twilio.RequestClient): TwilioRest {
  return twilio(credentials.accountSid, credentials.authToken, httpClient ? { httpClient } : {});
}

export interface TwilioError {
  /** Twilio's error code, e.g. 21211 (invalid number), 21219 (number not verified on a trial account), 20429. */
  code?: number;
  message: string;
  moreInfo?: string;
  /** The HTTP status Twilio answered with. */
  status: number;
}

export interface RestFailure {
  /** Our answer's status: Twilio's 400 and 429 pass through, anything else is Twilio failing us (502). */
  status: number;
  body: { error: string; twilio?: TwilioError };
}

/** A failed REST request as a clear JSON answer: what Twilio said, with its code and where to read about it. */
export function restFailure(err: unknown, what: string): RestFailure {
  const twilioError = asTwilioError(err);
  if (!twilioError) return { status: 502, body: { error: `could not reach Twilio about ${what}: ${(err as Error)?.message ?? String(err)}` } };
  const { status, message } = twilioError;
  if (status === 400) return { status: 400, body: { error: `Twilio refused ${what}: ${message}`, twilio: twilioError } };
  if (status === 429) return { status: 429, body: { error: `Twilio is rate limiting us: ${message}`, twilio: twilioError } };
  if (status === 401 || status === 403) {
    return { status: 502, body: { error: `Twilio refused our credentials for ${what} (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN): ${message}`, twilio: twilioError } };
  }
  return { status: 502, body: { error: `Twilio could not take ${what}: ${message}`, twilio: twilioError } };
}

/** Twilio's error from what the SDK threw (a RestException), or undefined for a network failure. */
export function asTwilioError(err: unknown): TwilioError | undefined {
  if (!(err instanceof twilio.RestException)) return undefined;
  return {
    ...(err.code !== undefined ? { code: err.code } : {}),
    message: err.message,
    ...(err.moreInfo ? { moreInfo: err.moreInfo } : {}),
    status: err.status,
  };
}
