/** The charts' and the call timeline's part of the review pages' stylesheet (styles.ts includes it). */
export const CHART_STYLES = `
.overview-range { margin: 0 0 14px; }
form.overview-filters { grid-template-columns: 1fr 1fr auto 2fr; }
.overview-filters .quick { display: flex; gap: 6px 16px; flex-wrap: wrap; align-self: center; font-size: 14px; }
.overview-stats { grid-template-columns: repeat(4, 1fr); }
.overview-grid { display: grid; gap: 16px; margin-top: 22px; }
.chart-card { padding: 16px 18px; }
.chart-card h2 { margin: 0 0 10px; }
.chart-pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; align-items: start; }
.chart-box { min-width: 0; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg.chart-narrow { display: none; }
svg .grid { stroke: var(--border); stroke-width: 1; }
svg .tick, svg .value { fill: var(--muted); font-variant-numeric: tabular-nums; }
svg .label { fill: var(--text); }
svg .line { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .dashed { stroke-dasharray: 5 4; }
svg .tone-accent { fill: var(--accent); stroke: var(--accent); }
svg .tone-faint { fill: var(--faint); stroke: var(--faint); }
svg .tone-warn { fill: var(--warn); stroke: var(--warn); }
svg .tone-info { fill: var(--info); stroke: var(--info); }
svg .tone-ok { fill: var(--ok); stroke: var(--ok); }
svg .tone-danger { fill: var(--danger); stroke: var(--danger); }
svg .line[class*="tone-"] { fill: none; }
svg .bar { stroke: none; }
ul.legend { list-style: none; margin: 0 0 8px; padding: 0; display: flex; gap: 4px 16px; flex-wrap: wrap; font-size: 13px; color: var(--muted); }
.swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.swatch.dashed { height: 0; border-top: 3px dashed; border-radius: 0; background: none !important; }
.swatch.tone-accent { background: var(--accent); color: var(--accent); }
.swatch.tone-faint { background: var(--faint); color: var(--faint); }
.swatch.tone-warn { background: var(--warn); color: var(--warn); }
.swatch.tone-info { background: var(--info); color: var(--info); }
.swatch.tone-ok { background: var(--ok); color: var(--ok); }
.swatch.tone-danger { background: var(--danger); color: var(--danger); }
.chart-table { max-height: 270px; overflow: auto; border: 1px solid var(--border); border-radius: 8px; }
.chart-table table { width: 100%; border-collapse: collapse; font-size: 13px; }
.chart-table caption { text-align: left; font-weight: 600; padding: 8px 10px; color: var(--muted); font-size: 12px; }
.chart-table th, .chart-table td { padding: 5px 10px; border-top: 1px solid var(--border); text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.chart-table th[scope="row"], .chart-table thead th:first-child { text-align: left; font-weight: 500; }
.chart-table thead th { position: sticky; top: 0; background: var(--surface); color: var(--muted); font-size: 12px; font-weight: 600; }
.call-timeline { padding: 14px 16px; }
.call-timeline .note { margin: 8px 0 0; font-size: 13px; color: var(--muted); }
.call-timeline .key { white-space: nowrap; margin-right: 10px; font-weight: 600; }
.key.barge-in { color: var(--danger); }
.key.tool { color: var(--info); }
.key.transfer { color: var(--ok); }
.timeline-scroll { overflow-x: auto; }
svg.timeline-chart { display: block; width: 100%; min-width: 640px; height: auto; font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg .lane-name { fill: var(--muted); font-weight: 600; }
svg .speech.caller { fill: var(--faint); }
svg .speech.agent { fill: var(--accent); }
svg .speech.estimated { opacity: .55; }
svg .speech.cut { fill: var(--agent-border); }
svg .overlap { fill: var(--danger); opacity: .22; pointer-events: none; }
svg .silence { fill: none; stroke: var(--faint); stroke-dasharray: 2 3; }
svg .silence-label { fill: var(--faint); }
svg .marker { stroke-width: 2; }
svg .marker.barge-in { stroke: var(--danger); fill: var(--danger); }
svg .marker.tool { stroke: var(--info); fill: var(--info); }
svg .marker.transfer { stroke: var(--ok); fill: var(--ok); }
svg .marker.end { stroke: var(--muted); fill: var(--muted); }
svg a:focus-visible > * { outline: 2px solid var(--accent); }
@media (max-width: 860px) {
  .chart-pair { grid-template-columns: 1fr; }
  .overview-stats { grid-template-columns: repeat(2, 1fr); }
  form.overview-filters { grid-template-columns: 1fr 1fr; }
  form.overview-filters .quick { grid-column: 1 / -1; }
}
@media (max-width: 600px) {
  svg.chart-wide { display: none; }
  svg.chart-narrow { display: block; }
}
`;
