import { existsSync } from 'node:fs';
import { startAfterCall } from './afterCall';
import { storeRecorder } from './call/storeRecorder';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './log';
import { AgentMetrics, serveMetrics } from './metrics';
import { createOutbound, twilioRest } from './outbound';
import { describePersona } from './persona';
import { shutdownWarnings } from './realtime/models';
import { createReviewRouter, generateAdminToken, signInLinks } from './review';
import { createServer } from './server';
import { createSoftphoneRouter, SoftphoneTickets } from './softphone';
import { databasePassword, describeStore, liveAsInstance, openCallStore, pricesFor, scheduleRetention } from './store';
import { loadToolRegistry, type ToolRegistry } from './tools';

/** Process entry: config → store → server → signals. */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfigOrExit();
  const adminToken = config.adminToken ?? generateAdminToken();
  const log = createLogger(config.log, [config.openai.apiKey, config.twilio?.authToken, adminToken, databasePassword(config.store.databaseUrl), config.webhooks?.secret]);
  for (const warning of shutdownWarnings(config)) log[warning.level](warning.message);
  const tools = loadToolsOrExit(config);
  log.info('tools offered to the agent', { tools: tools.definitions().map((tool) => tool.name) });

  const store = await openCallStore(config.store, {
    onError: (err) => log.warn('a database connection failed; it will be replaced', { error: err.message }),
  });
  log.info('call records', { ...describeStore(config.store), recordings: config.store.recordingsDir });
  // Other instances may be carrying open calls: only this instance's own earlier run's, and stopped ones', close.
  const instance = await liveAsInstance(store, config.instanceId, (closed, stale) =>
    log.warn('closed calls left open by stopped instances', { calls: closed, instances: stale }),
  );
  if (instance.recovered > 0) log.warn('closed calls left open by an earlier crash', { calls: instance.recovered });
  const recordingsDir = config.store.recordingsDir;
  const stopRetention = scheduleRetention(store, config.store.retentionDays, recordingsDir, {
    onResult: (result) => result.cutoff && log.info('applied call retention', { ...result }),
    onError: (err) => log.error('call retention failed', { error: err.message }),
  });
  if (!pricesFor(config.openai.model, config.store.prices)) {
    log.warn('no prices known for this model: call costs will read 0 (add it to PRICES_FILE)', { model: config.openai.model });
  }

  const { instanceId } = config;
  const outbound = createOutbound({ config, log, store, shared: store, rest: config.twilio && twilioRest(config.twilio), instanceId });
  const afterCall = startAfterCall({ config, store, log });
  announceAfterCall(config, log);
  const record = storeRecorder(store, { config, recordingsDir, personaFor: outbound.personaFor, instanceId, afterCall: afterCall.callEnded }, log);
  const metrics = new AgentMetrics({ model: config.openai.model, prices: config.store.prices, processMetrics: true });
  const softphone = new SoftphoneTickets();
  const server = createServer({
    config,
    log,
    record,
    review: createReviewRouter({
      store,
      adminToken,
      recordingsDir,
      log,
      softphone: createSoftphoneRouter({ tickets: softphone, agentName: config.persona.name, log }),
      placeCalls: outbound.api,
    }),
    softphone,
    outbound,
    tools,
    shared: store,
    metrics,
    // With METRICS_PORT, /metrics is served there instead, without a token.
    metricsToken: config.metricsPort === undefined ? adminToken : undefined,
    // The cheapest query the store has; Promise.resolve takes a store that answers at once or later.
    storeReady: async () => {
      await Promise.resolve(store.list({ limit: 1 }));
      return true;
    },
    note: (callSid, event) =>
      void store.addEvent(callSid, { at: Date.now(), ...event }).catch((err: Error) => log.error('could not write to the call record', { callSid, error: err.message })),
  });
  const address = await server.listen(config.port);
  const metricsServer = config.metricsPort === undefined ? undefined : await serveMetrics(metrics, config.metricsPort);
  log.info('metrics', metricsServer
    ? { url: `http://127.0.0.1:${metricsServer.address.port}/metrics`, auth: 'none: this machine only' }
    : { url: `http://localhost:${address.port}/metrics`, auth: 'Authorization: Bearer <ADMIN_TOKEN>' });

  log.info('phone agent listening', { port: address.port, instanceId: config.instanceId, model: config.openai.model, audioMode: config.audioMode });
  log.info('persona', describePersona(config));
  if (config.twilio) {
    log.info(`Twilio voice webhook: POST ${config.twilio.publicUrl}/incoming-call, status callback: POST ${config.twilio.publicUrl}/call-status`);
  } else {
    log.warn('Twilio calls are refused: set PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to take calls');
  }
  announceReview(config, address.port, adminToken);

  // Stop taking calls, let the active ones finish (up to the drain timeout), flush the log, exit 0.
  const shutdown = async (signal: string) => {
    log.info('shutting down: no new calls, waiting for active ones', {
      signal,
      activeCalls: server.activeCalls.size,
      drainTimeoutMs: config.limits.drainTimeoutMs,
    });
    await server.drain(config.limits.drainTimeoutMs, config.limits.drainNoticeMs);
    await metricsServer?.close();
    await stopRetention();
    instance.stop();
    await record.settled();
    // Claims stop; attempts under way finish or time out.
    await afterCall.stop();
    await store.shutdown();
    log.info('stopped');
    await new Promise<void>((resolve) => {
      log.on('finish', resolve);
      log.end();
    });
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** What happens after each call, said once at start. */
function announceAfterCall(config: Config, log: ReturnType<typeof createLogger>): void {
  const { analysis, webhooks } = config;
  if (analysis) {
    log.info('calls are analysed after they end', { model: analysis.model, fields: Object.keys((analysis.fieldsSchema.properties ?? {}) as object) });
    if (!analysis.prices) log.warn('no prices known for the analysis model: analysis costs will read 0 (set ANALYSIS_*_USD_PER_1M)', { model: analysis.model });
  }
  if (webhooks) log.info('webhooks', { to: new URL(webhooks.url).origin, events: analysis ? ['call.ended', 'call.analyzed'] : ['call.ended'], transcript: webhooks.includeTranscript });
}

/** A broken tool module stops the start with a message naming it, like a bad setting. */
function loadToolsOrExit(config: Config): ToolRegistry {
  try {
    return loadToolRegistry(config.tools);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Like Jupyter: with no ADMIN_TOKEN set, a fresh one each start, handed over as ready-to-click links. */
function announceReview(config: Config, port: number, adminToken: string): void {
  if (config.adminToken) {
    console.log(`\n  Review calls at http://localhost:${port}/calls, talk to the agent at http://localhost:${port}/phone (sign in with ADMIN_TOKEN)\n`);
    return;
  }
  const links = (page: '/calls' | '/phone') => signInLinks({ port, token: adminToken, publicUrl: config.twilio?.publicUrl, page }).map((l) => `    ${l}`);
  console.log(
    [
      '',
      '  Review calls (these sign-in links change at every start; set ADMIN_TOKEN to fix them):',
      ...links('/calls'),
      '  Talk to the agent in your browser:',
      ...links('/phone'),
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
