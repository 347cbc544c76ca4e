import { APIConnectionError, APIError, type OpenAI } from 'openai';
import type { AnalysisUsage } from '../store';
import type { AnalysisPrompt } from './prompt';
import { responseSchema, type JsonSchema } from './schema';
import { schemaViolations } from './validate';

export interface ModelAnswer {
  summary: string;
  fields: Record<string, unknown>;
  usage: AnalysisUsage;
}

/** Why an attempt failed, and whether trying again could help (a rate limit, a timeout, output that did not parse). */
export class AnalysisFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The server asked to wait at least this long (a 429's Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'AnalysisFailure';
  }
}

/**
 * Asks the text model for the call's summary and fields through the Responses API with a strict JSON schema, once:
 * the SDK does not retry (the job does, visibly), and gives up after `timeoutMs`. The answer is parsed and checked
 * against the schema before it is believed. Failures are `AnalysisFailure`s.
 */
export async function askModel(
  client: OpenAI,
  request: { model: string; fieldsSchema: JsonSchema; timeoutMs: number },
  prompt: AnalysisPrompt,
): Promise<ModelAnswer> {
  const schema = responseSchema(request.fieldsSchema);
  // Our own clock rather than the SDK's timeout: a timeout is then told apart from any other connection error.
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, request.timeoutMs);
  let response;
  try {
    response = await client.responses.create(
      {
        model: request.model,
        instructions: prompt.instructions,
        input: prompt.input,
        text: { format: { type: 'json_schema', name: 'call_analysis', schema, strict: true } },
        // Transcripts are personal data: not kept by the API for later retrieval.
        store: false,
      },
      { signal: abort.signal, maxRetries: 0 },
    );
  } catch (err) {
    if (timedOut) throw new AnalysisFailure(`the API did not answer within ${request.timeoutMs / 1000} s`, true);
    throw asFailure(err);
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 'incomplete') {
    throw new AnalysisFailure(`the model stopped before it finished (${response.incomplete_details?.reason ?? 'no reason given'})`, true);
  }
  for (const item of response.output) {
    if (item.type !== 'message') continue;
    const refusal = item.content.find((part) => part.type === 'refusal');
    if (refusal?.type === 'refusal') throw new AnalysisFailure(`the model refused: ${refusal.refusal}`, true);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.output_text);
  } catch {
    throw new AnalysisFailure(`the output is not JSON: ${clip(response.output_text)}`, true);
  }
  const violations = schemaViolations(schema, parsed);
  if (violations.length > 0) throw new AnalysisFailure(`the output does not match the schema: ${violations.join('; ')}`, true);
  const answer = parsed as { summary: string; fields: Record<string, unknown> };
  const cached = response.usage?.input_tokens_details?.cached_tokens ?? 0;
  return {
    summary: answer.summary,
    fields: answer.fields,
    usage: {
      inputTokens: Math.max(0, (response.usage?.input_tokens ?? 0) - cached),
      cachedInputTokens: cached,
      outputTokens: response.usage?.output_tokens ?? 0,
    },
  };
}

/** What the SDK threw, as a failure that says whether to try again. */
export function asFailure(err: unknown): AnalysisFailure {
  if (err instanceof AnalysisFailure) return err;
  if (err instanceof APIConnectionError) return new AnalysisFailure(err.message || 'could not reach the API', true);
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const message = `HTTP ${status}: ${err.message}`;
    if (status === 429) return new AnalysisFailure(message, true, retryAfterMs(err.headers));
    // Overloaded or failing servers recover; a bad key, an unknown model or a refused schema do not.
    return new AnalysisFailure(message, status >= 500 || status === 408 || status === 409);
  }
  // Anything else (the database, say) may well pass: a few more tries cost little.
  return new AnalysisFailure((err as Error)?.message ?? String(err), true);
}

/** A 429's Retry-After (seconds) or retry-after-ms, when given. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers?.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
