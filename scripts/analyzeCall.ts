import { randomUUID } from 'node:crypto';
import { analysisClient, analysisFollowUps } from '../src/afterCall';
import { runAnalysis } from '../src/analysis';
import { ConfigError, loadConfig, type Config } from '../src/config';
import { renderInsightsText } from '../src/review';
import { openCallStore, openSqliteStore, type CallStore } from '../src/store';
import type { CommandIo } from './command';

/**
 * `npm run calls -- analyze <callSid>`: analyses the call now, with the server's settings (ANALYSIS_MODEL,
 * OPENAI_API_KEY, the database), whether or not a server is running. The analysis is queued again from the start
 * and claimed by this command at once, so no server works on it meanwhile; if the attempt fails in a way worth
 * retrying, it stays queued and a running server tries it again. Resolves to the exit code: 0 done, 1 not, 2 bad setup.
 */
export async function analyzeNow(callSid: string, db: string | undefined, io: CommandIo): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`${err.message}\n`);
    return 2;
  }
  const settings = config.analysis;
  if (!settings) {
    io.err('ANALYSIS_MODEL is not set: say which text model analyses calls, e.g. ANALYSIS_MODEL=gpt-4.1-mini\n');
    return 2;
  }
  const store: CallStore = db ? openSqliteStore(db) : await openCallStore({ ...config.store, poolSize: 1 });
  try {
    const call = await store.get(callSid);
    if (!call) {
      io.err(`No call ${callSid}.\n`);
      return 1;
    }
    const now = Date.now();
    const claim = await store.requestAnalysis(call.callSid, now, { leaseId: randomUUID(), until: now + settings.timeoutMs + 60_000 });
    const outcome = await runAnalysis(claim!, { store, client: analysisClient(config), settings, followUps: analysisFollowUps(config.webhooks) });
    io.out(renderInsightsText(await store.analysisOf(call.callSid), []));
    if (outcome.status === 'done') return 0;
    const why = outcome.status === 'lost' ? 'another worker took it over' : outcome.error;
    io.err(`The analysis did not succeed: ${why}${outcome.status === 'pending' ? '. A running server will try it again.' : ''}\n`);
    return 1;
  } finally {
    await store.shutdown();
  }
}
