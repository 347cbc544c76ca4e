import winston from 'winston';
import type { Config } from './config';

export type Logger = winston.Logger;

/**
 * JSON lines in production, readable lines in development. Secrets are masked wherever they appear,
 * so an SDK error that echoes a header or URL cannot leak the API key or auth token into the log.
 */
export function createLogger(log: Config['log'], secrets: Array<string | undefined> = []): Logger {
  const masked = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8);
  const output = log.format === 'json'
    ? winston.format.json()
    : winston.format.combine(
        winston.format.colorize(),
        winston.format.printf(({ timestamp, level, message, stack, ...fields }) => {
          const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
          return `${timestamp} ${level} ${message}${extra}${stack ? `\n${stack}` : ''}`;
        }),
      );
  return winston.createLogger({
    level: log.level === 'silent' ? 'error' : log.level,
    silent: log.level === 'silent',
    format: winston.format.combine(
      winston.format.timestamp(log.format === 'json' ? undefined : { format: 'HH:mm:ss.SSS' }),
      winston.format.errors({ stack: true }),
      maskSecrets(masked)(),
      output,
    ),
    transports: [new winston.transports.Console()],
  });
}

const maskSecrets = (secrets: string[]) => winston.format((info) => {
  const mask = (value: unknown): unknown => {
    if (typeof value === 'string') return secrets.reduce((s, secret) => s.split(secret).join('***'), value);
    return value;
  };
  if (secrets.length > 0) for (const key of Object.keys(info)) info[key] = mask(info[key]);
  return info;
});
