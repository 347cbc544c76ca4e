import type { Logger } from '../log';

/** A store that has not answered by then counts as unreachable: a probe must answer in time itself. */
const STORE_CHECK_TIMEOUT_MS = 2000;

export interface ReadinessChecks {
  /** Whether the store answers a cheap query; resolves false or rejects when it does not. Unset: not checked. */
  store?: () => Promise<boolean>;
  /** The model's API key is configured. */
  modelKey: boolean;
  log?: Logger;
  storeTimeoutMs?: number;
}

export interface Readiness {
  ready: boolean;
  /** Each check: `ok`, or why it failed. */
  checks: { acceptingCalls: string; store: string; modelCredentials: string };
  /** The checks that failed, by name. */
  failed: string[];
}

/**
 * Whether this instance should be given calls: it is not draining, its store answers and it has model
 * credentials. A store that stops or starts answering is logged once per change, not at every probe, and
 * probes that come while a store query is still out share it.
 */
export class ReadinessProbe {
  private storeQuery: Promise<string> | undefined;
  private storeWasOk = true;

  constructor(private readonly checks: ReadinessChecks) {}

  async check(draining: boolean): Promise<Readiness> {
    const checks = {
      acceptingCalls: draining ? 'draining' : 'ok',
      store: await this.checkStore(),
      modelCredentials: this.checks.modelKey ? 'ok' : 'no API key configured',
    };
    const failed = Object.entries(checks).filter(([, result]) => result !== 'ok').map(([name]) => name);
    return { ready: failed.length === 0, checks, failed };
  }

  private checkStore(): Promise<string> {
    const query = this.checks.store;
    if (!query) return Promise.resolve('ok');
    this.storeQuery ??= this.queryStore(query).finally(() => (this.storeQuery = undefined));
    return this.storeQuery;
  }

  private async queryStore(query: () => Promise<boolean>): Promise<string> {
    const timeoutMs = this.checks.storeTimeoutMs ?? STORE_CHECK_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    let error: string | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    });
    const answered = Promise.resolve()
      .then(query)
      .then(
        (ok) => (ok ? 'ok' : 'unreachable'),
        (err: unknown) => {
          error = err instanceof Error ? err.message : String(err);
          return 'unreachable';
        },
      );
    const result = await Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
    const ok = result === 'ok';
    if (ok !== this.storeWasOk) {
      if (ok) this.checks.log?.info('the store answers again: ready');
      else this.checks.log?.warn('the store does not answer: not ready', { store: result, ...(error ? { error } : {}) });
      this.storeWasOk = ok;
    }
    return result;
  }
}
