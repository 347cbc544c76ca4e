import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { createServer } from './server';

/** Process entry: config → server → signals. */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.log, [config.openai.apiKey, config.twilio?.authToken]);
  const server = createServer({ config, log });
  const address = await server.listen(config.port);

  log.info('phone agent listening', { port: address.port, model: config.openai.model, audioMode: config.audioMode });
  if (config.twilio) {
    log.info(`Twilio voice webhook: POST ${config.twilio.publicUrl}/incoming-call`);
  } else {
    log.warn('Twilio calls are refused: set PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to take calls');
  }

  // Stop taking calls, let the active ones finish (up to the drain timeout), flush the log, exit 0.
  const shutdown = async (signal: string) => {
    log.info('shutting down: no new calls, waiting for active ones', {
      signal,
      activeCalls: server.activeCalls.size,
      drainTimeoutMs: config.limits.drainTimeoutMs,
    });
    await server.drain(config.limits.drainTimeoutMs);
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
