/**
 * Whether `secret` is a Standard Webhooks signing secret: `whsec_` and the base64 of a random key of 24 to 64 bytes.
 * Returns the problem, or undefined when it is one.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  const key = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
  if (key === undefined) return 'must start with whsec_ (a Standard Webhooks secret: whsec_ and a base64 key)';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key) || key.length % 4 !== 0) return 'must be whsec_ followed by base64 (A-Z, a-z, 0-9, +, /, = padding)';
  const bytes = Buffer.from(key, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must hold a key of 24 to 64 bytes (this one has ${bytes}); make one with: echo "whsec_$(openssl rand -base64 32)"`;
  return undefined;
}
