import winston from 'winston';
import type { Config } from './config';

export type Logger = winston.Logger;

/**
 * JSON lines in production, readable lines in development. Secrets are masked wherever they appear, however deep
 * in the fields and in errors' messages and stacks, so an SDK error that echoes a header or URL cannot leak the
 * API key or auth token into the log.
 */
export function createLogger(log: Pick<Config['log'], 'level' | 'format'>, secrets: Array<string | undefined> = []): Logger {
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

/**
 * The level for what callers and the agent say and for callers' phone numbers: personal data, written at info
 * only with LOG_TRANSCRIPTS=true. Use: `log.log(personalLevel(config.log), 'caller said', { text })`.
 */
export function personalLevel(log: Pick<Config['log'], 'transcripts'>): 'info' | 'debug' {
  return log.transcripts ? 'info' : 'debug';
}

/** Deeper fields are cut off: a log line is no place for a whole object graph. */
const MAX_DEPTH = 8;

const maskSecrets = (secrets: string[]) => winston.format((info) => {
  const maskText = (text: string) => secrets.reduce((s, secret) => s.split(secret).join('***'), text);
  // Builds a copy, never changing the caller's objects. Errors become plain objects: JSON would drop their
  // message and stack. Anything else with toJSON (a Date, a Buffer) is masked as JSON would write it.
  const mask = (value: unknown, depth: number, parents: object[]): unknown => {
    if (typeof value === 'string') return maskText(value);
    if (typeof value !== 'object' || value === null) return value;
    if (parents.includes(value)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    const inside = [...parents, value];
    if (Array.isArray(value)) return value.map((item) => mask(item, depth + 1, inside));
    if (value instanceof Error) return maskFields(errorFields(value), depth, inside);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return mask(toJSON.call(value), depth + 1, inside);
    return maskFields(value, depth, inside);
  };
  const maskFields = (fields: object, depth: number, parents: object[]) =>
    Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, mask(field, depth + 1, parents)]));
  for (const key of Object.keys(info)) info[key] = mask(info[key], 0, []);
  return info;
});

function errorFields(err: Error): Record<string, unknown> {
  return { ...err, name: err.name, message: err.message, stack: err.stack, ...(err.cause === undefined ? {} : { cause: err.cause }) };
}
