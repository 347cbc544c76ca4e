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

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal, activeCalls: server.activeCalls.size });
    server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
