/**
 * Whether a request's `Origin` is this site (`host` is the Host the request was sent to). Browsers send Origin on
 * every POST and websocket upgrade, so another site's page is refused; a client without one is not a browser
 * acting for a signed-in user, and its credential was checked on its own.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
