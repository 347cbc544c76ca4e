import { ConfigError, loadConfig } from '../../src/config';

/** The problems loadConfig reports for `env`; fails the test if it reports none. */
export function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
