import twilio from 'twilio';

/**
 * Twilio signs every webhook and the Media Streams websocket upgrade with the auth token.
 * We check against the public URL Twilio used, never the URL Express sees: behind ngrok or a
 * TLS-terminating proxy the scheme and host differ, and express-ws rewrites req.url.
 */
export function isSignedByTwilio(
  authToken: string,
  signature: string | string[] | undefined,
  url: string,
  params: Record<string, unknown>,
): boolean {
  if (typeof signature !== 'string' || signature === '') return false;
  return twilio.validateRequest(authToken, signature, url, params);
}
