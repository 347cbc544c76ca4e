/** Reviewing calls: the JSON API and web pages (router), and the formatting the CLI shares with them. */
export { createReviewRouter, type ReviewDeps } from './router';
export { generateAdminToken, signInLinks, tokensMatch } from './auth';
export {
  describeCallEnd,
  describeEndReason,
  describeInterruption,
  formatCost,
  formatCount,
  formatDateTime,
  formatDuration,
  formatLatency,
  formatOffset,
  formatSeconds,
  summarizeLatencies,
  type LatencySummary,
} from './format';
export { escapeHtml } from './html';
export { renderCallListText, renderCallText, type TextStyle } from './text';
export { renderInsightsText } from './insightsText';
