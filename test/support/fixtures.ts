import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Directory holding the committed test fixtures (see test/fixtures/make-fixtures.sh). */
export const FIXTURES_DIR = join(__dirname, '..', 'fixtures');

/**
 * Reads `test/fixtures/<name>` as bytes. The `.ulaw` fixtures are raw G.711 μ-law, 8 kHz, mono,
 * no header: every 160-byte slice is one 20 ms Twilio media frame.
 */
export function loadFixture(name: string): Uint8Array {
  const buf = readFileSync(join(FIXTURES_DIR, name));
  // Copy into a plain Uint8Array so callers never see Buffer's pooled backing store.
  return new Uint8Array(buf);
}
