import { readFileSync } from 'node:fs';
import { builtInTextPrices, DEFAULT_FIELDS_SCHEMA, strictSchemaProblems, type AnalysisSettings, type JsonSchema } from '../analysis';
import { webhookSecretProblem, type WebhookTarget } from '../webhooks';

/** The settings of the work after a call, as the environment schema (src/config.ts) parsed them. */
export interface AfterCallEnv {
  ANALYSIS_MODEL?: string;
  ANALYSIS_SCHEMA_FILE?: string;
  ANALYSIS_TIMEOUT_SECONDS: number;
  ANALYSIS_MAX_ATTEMPTS: number;
  ANALYSIS_INPUT_USD_PER_1M?: number;
  ANALYSIS_CACHED_INPUT_USD_PER_1M?: number;
  ANALYSIS_OUTPUT_USD_PER_1M?: number;
  WEBHOOK_URL?: string;
  WEBHOOK_SECRET?: string;
  WEBHOOK_INCLUDE_TRANSCRIPT: boolean;
  WEBHOOK_TIMEOUT_SECONDS: number;
}

export interface WebhookSettings extends WebhookTarget {
  /** Send what was said in `call.ended` (personal data). */
  includeTranscript: boolean;
}

/** Post-call analysis, on with ANALYSIS_MODEL; problems are noted under the variable that causes them. */
export function analysisSettings(e: AfterCallEnv, problems: string[]): AnalysisSettings | undefined {
  const model = e.ANALYSIS_MODEL;
  if (!model) {
    const stray = (['ANALYSIS_SCHEMA_FILE', 'ANALYSIS_INPUT_USD_PER_1M', 'ANALYSIS_CACHED_INPUT_USD_PER_1M', 'ANALYSIS_OUTPUT_USD_PER_1M'] as const).filter((k) => e[k] !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} ${stray.length === 1 ? 'works' : 'work'} only with ANALYSIS_MODEL: set it (e.g. gpt-4.1-mini) or unset them`);
    return undefined;
  }
  const fieldsSchema = e.ANALYSIS_SCHEMA_FILE ? readFieldsSchema(e.ANALYSIS_SCHEMA_FILE, problems) : DEFAULT_FIELDS_SCHEMA;
  const builtIn = builtInTextPrices(model);
  const input = e.ANALYSIS_INPUT_USD_PER_1M ?? builtIn?.input;
  const cachedInput = e.ANALYSIS_CACHED_INPUT_USD_PER_1M ?? builtIn?.cachedInput;
  const output = e.ANALYSIS_OUTPUT_USD_PER_1M ?? builtIn?.output;
  const known = [input, cachedInput, output].filter((price) => price !== undefined).length;
  if (known > 0 && known < 3) {
    problems.push(`ANALYSIS_MODEL ${model} has no built-in prices: set all of ANALYSIS_INPUT_USD_PER_1M, ANALYSIS_CACHED_INPUT_USD_PER_1M and ANALYSIS_OUTPUT_USD_PER_1M`);
  }
  return {
    model,
    fieldsSchema: fieldsSchema ?? DEFAULT_FIELDS_SCHEMA,
    timeoutMs: e.ANALYSIS_TIMEOUT_SECONDS * 1000,
    maxAttempts: e.ANALYSIS_MAX_ATTEMPTS,
    prices: known === 3 ? { input: input!, cachedInput: cachedInput!, output: output! } : undefined,
  };
}

/** Webhooks, on with WEBHOOK_URL and WEBHOOK_SECRET together. */
export function webhookSettings(e: AfterCallEnv, problems: string[]): WebhookSettings | undefined {
  if (!e.WEBHOOK_URL && !e.WEBHOOK_SECRET) return undefined;
  if (!e.WEBHOOK_URL) return void problems.push('WEBHOOK_SECRET needs WEBHOOK_URL: where to send the events');
  if (!e.WEBHOOK_SECRET) return void problems.push('WEBHOOK_URL needs WEBHOOK_SECRET to sign the events: make one with echo "whsec_$(openssl rand -base64 32)"');
  const problem = webhookSecretProblem(e.WEBHOOK_SECRET);
  if (problem) return void problems.push(`WEBHOOK_SECRET ${problem}`);
  return { url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET, includeTranscript: e.WEBHOOK_INCLUDE_TRANSCRIPT, timeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000 };
}

/** The operator's fields schema, checked against what strict structured outputs take. */
function readFieldsSchema(file: string, problems: string[]): JsonSchema | undefined {
  let schema: unknown;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`ANALYSIS_SCHEMA_FILE cannot be read as JSON: ${(err as Error).message}`);
    return undefined;
  }
  const found = strictSchemaProblems(schema);
  if (found.length === 0) return schema as JsonSchema;
  problems.push(`ANALYSIS_SCHEMA_FILE ${file} is not a schema strict structured outputs take: ${found.join('; ')}`);
  return undefined;
}
