import type { CallAnalysis, CallSummary, FilterInput, JobStatus, WebhookDelivery } from '../store';
import { formatCost, formatCount, formatDateTime, formatLatency } from './format';
import { html, type Html } from './html';

/** The call page's sections on what came after the call: its analysis and its webhook deliveries. Pure renderers. */

const STATUS_TONE: Record<JobStatus, string> = { pending: 'live', done: 'ok', failed: 'bad' };

function statusBadge(status: JobStatus, label: string = status): Html {
  return html`<span class="badge ${STATUS_TONE[status]}">${label}</span>`;
}

/** An analysis field's value as text: strings as they are, the rest as JSON; null as a dash. */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

export function analysisSection(analysis: CallAnalysis | undefined): Html {
  if (!analysis) return html``;
  const { result } = analysis;
  const state =
    analysis.status === 'pending'
      ? `waiting: attempt ${analysis.attempts + 1} at ${formatDateTime(analysis.nextAttemptAt, true)}`
      : analysis.status === 'failed'
        ? `failed after ${analysis.attempts} ${analysis.attempts === 1 ? 'attempt' : 'attempts'}`
        : `done ${analysis.finishedAt === undefined ? '' : formatDateTime(analysis.finishedAt, true)}`;
  return html`<h2>Analysis</h2>
<section class="card" aria-label="Analysis">
  <dl class="facts">
    <dt>Status</dt><dd>${statusBadge(analysis.status)} ${state}</dd>
    ${result ? html`<dt>Summary</dt><dd>${result.summary}</dd>` : ''}
    ${result ? Object.entries(result.fields).map(([name, value]) => html`<dt>${name.replace(/_/g, ' ')}</dt><dd>${fieldText(value)}</dd>`) : ''}
    ${
      result
        ? html`<dt>Model</dt><dd>${result.model} · ${formatCount(result.usage.inputTokens + result.usage.cachedInputTokens)} tokens in, ${formatCount(result.usage.outputTokens)} out · ${formatCost(result.costUsd)}</dd>`
        : ''
    }
  </dl>
  ${analysis.lastError ? html`<div class="alert" role="alert">Last error: ${analysis.lastError}</div>` : ''}
</section>`;
}

export function webhooksSection(deliveries: WebhookDelivery[]): Html {
  if (deliveries.length === 0) return html``;
  return html`<h2>Webhooks</h2>
<section class="card" aria-label="Webhooks">
  <table class="tokens"><tbody>
  ${deliveries.map(
    (delivery) => html`<tr><td><strong>${delivery.eventType}</strong> ${statusBadge(delivery.status, delivery.status === 'done' ? 'delivered' : delivery.status)}
    <span class="mono">${delivery.id}</span>${
      delivery.status === 'pending' ? html` · next try ${formatDateTime(delivery.nextAttemptAt, true)}` : ''
    }</td><td class="num">${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}</td></tr>
    ${delivery.attemptLog.map(
      (attempt) => html`<tr><td>${formatDateTime(attempt.at, true)} · ${attempt.httpStatus === undefined ? attempt.error : `HTTP ${attempt.httpStatus}`}</td><td class="num">${formatLatency(attempt.durationMs)}</td></tr>`,
    )}`,
  )}
  </tbody></table>
</section>`;
}

/** A call's estimated cost: the conversation's and its analysis's. */
export function totalCostUsd(call: Pick<CallSummary, 'costUsd' | 'analysis'>): number {
  return call.costUsd + (call.analysis?.costUsd ?? 0);
}

const ANALYSIS_FILTERS: Array<[string, string]> = [
  ['done', 'done'],
  ['pending', 'waiting'],
  ['failed', 'failed'],
  ['none', 'not analysed'],
];

/** The list page's analysis filters: its status, and one field's value. */
export function analysisFilterInputs(input: Pick<FilterInput, 'analysis' | 'field'>): Html {
  const options = ANALYSIS_FILTERS.map(([value, label]) => html`<option value="${value}"${value === input.analysis ? html` selected` : ''}>${label}</option>`);
  return html`<label>Analysis <select name="analysis"><option value="">Any</option>${options}</select></label>
  <label>Field <input type="text" name="field" value="${input.field ?? ''}" placeholder="sentiment=negative"></label>`;
}
