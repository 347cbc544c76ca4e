import type { CallAnalysis, WebhookDelivery } from '../store';
import { formatCost, formatDateTime, formatLatency } from './format';
import { fieldText } from './insights';

/** What came after a call, as terminal text (`npm run calls -- show` and `analyze`). Pure: the caller prints. */
export function renderInsightsText(analysis: CallAnalysis | undefined, deliveries: WebhookDelivery[]): string {
  const lines: string[] = [];
  if (analysis) {
    lines.push('', `Analysis  ${analysis.status} (${analysis.attempts} ${analysis.attempts === 1 ? 'attempt' : 'attempts'})`);
    if (analysis.status === 'pending') lines.push(`  next attempt ${formatDateTime(analysis.nextAttemptAt, true)}`);
    if (analysis.result) {
      const { result } = analysis;
      lines.push(`  ${printable(result.summary)}`);
      const width = Math.max(0, ...Object.keys(result.fields).map((name) => name.length));
      for (const [name, value] of Object.entries(result.fields)) lines.push(`  ${name.padEnd(width)}  ${printable(fieldText(value))}`);
      lines.push(`  ${result.model} · ${result.usage.inputTokens + result.usage.cachedInputTokens} tokens in, ${result.usage.outputTokens} out · ${formatCost(result.costUsd)}`);
    }
    if (analysis.lastError) lines.push(`  last error: ${printable(analysis.lastError)}`);
  }
  if (deliveries.length > 0) {
    lines.push('', 'Webhooks');
    for (const delivery of deliveries) {
      lines.push(`  ${delivery.eventType}  ${delivery.status === 'done' ? 'delivered' : delivery.status}  ${delivery.id}`);
      for (const attempt of delivery.attemptLog) {
        lines.push(`    ${formatDateTime(attempt.at, true)}  ${attempt.httpStatus === undefined ? printable(attempt.error ?? '') : `HTTP ${attempt.httpStatus}`}  ${formatLatency(attempt.durationMs)}`);
      }
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Records hold what callers and models said: never let them send escape sequences to the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' ');
}
