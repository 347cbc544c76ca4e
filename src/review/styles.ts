import { CHART_STYLES } from './chartStyles';

/** The review pages' only stylesheet, inlined: no build step, no second request. Light and dark. */
export const STYLES = `
:root {
  --bg: #f5f6f8; --surface: #ffffff; --text: #1b2130; --muted: #667085; --faint: #98a2b3;
  --border: #e3e6eb; --accent: #4f46e5; --accent-soft: #eef0ff; --agent: #eef0ff; --agent-border: #d9dcfb;
  --caller: #f2f4f7; --danger: #c4320a; --danger-soft: #fff1ec; --ok: #067647; --ok-soft: #ecfdf3;
  --warn: #b54708; --warn-soft: #fffaeb; --info: #175cd3; --info-soft: #eff8ff;
  --radius: 12px; --shadow: 0 1px 2px rgba(16, 24, 40, .05);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1116; --surface: #171a22; --text: #e7e9ee; --muted: #9aa3b5; --faint: #6b7385;
    --border: #272c38; --accent: #8b8cf8; --accent-soft: #23244a; --agent: #20223f; --agent-border: #2e3163;
    --caller: #1c2029; --danger: #ff8a65; --danger-soft: #3a1d16; --ok: #6ce9a6; --ok-soft: #133226;
    --warn: #fdb022; --warn-soft: #3a2a10; --info: #84caff; --info-soft: #142a45;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.num, time, .mono { font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.muted { color: var(--muted); }
header.top {
  background: var(--surface); border-bottom: 1px solid var(--border);
}
header.top .inner { display: flex; align-items: center; justify-content: space-between; gap: 16px; padding-top: 14px; padding-bottom: 14px; }
.brand { font-weight: 650; font-size: 16px; color: var(--text); letter-spacing: -.01em; display: flex; align-items: center; gap: 10px; }
.top-nav { display: flex; align-items: center; gap: 18px; font-size: 14px; }
.brand .dot { width: 10px; height: 10px; border-radius: 50%; background: var(--accent); display: inline-block; }
.wrap { max-width: 1040px; margin: 0 auto; padding-left: 24px; padding-right: 24px; }
main.wrap { padding-top: 28px; padding-bottom: 64px; }
h1 { overflow-wrap: anywhere; font-size: 24px; line-height: 1.25; margin: 0 0 6px; letter-spacing: -.015em; font-weight: 680; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 36px 0 12px; font-weight: 600; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
button, .button {
  font: inherit; font-weight: 550; border-radius: 8px; padding: 0 16px; height: 38px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; line-height: 1.2;
}
button.quiet { background: transparent; color: var(--muted); border-color: var(--border); font-weight: 500; }
button.quiet:hover { color: var(--text); }
input, select {
  font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border);
  border-radius: 8px; padding: 0 10px; height: 38px; width: 100%; min-width: 0;
}
input:focus, select:focus, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
label { display: flex; flex-direction: column; gap: 5px; font-size: 12px; font-weight: 600; color: var(--muted); min-width: 0; }
form.filters { display: grid; grid-template-columns: 2.2fr 1.2fr 1.2fr 1fr 1fr auto; gap: 12px; align-items: end; padding: 16px; }
form.filters .actions { display: flex; gap: 8px; align-items: center; }
.alert { border-radius: 10px; padding: 10px 14px; margin: 12px 0; background: var(--danger-soft); color: var(--danger); }
.summary-line { display: flex; gap: 18px; flex-wrap: wrap; color: var(--muted); margin: 18px 2px 10px; font-size: 14px; }
.summary-line strong { color: var(--text); font-weight: 600; }
table.calls { width: 100%; border-collapse: collapse; }
table.calls th {
  text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  font-weight: 600; padding: 12px 16px; border-bottom: 1px solid var(--border);
}
table.calls td { padding: 14px 16px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.calls tr:last-child td { border-bottom: 0; }
table.calls tbody tr { position: relative; }
table.calls tbody tr:hover { background: var(--accent-soft); }
table.calls .right { text-align: right; }
a.row-link { color: var(--text); font-weight: 600; }
a.row-link::after { content: ""; position: absolute; inset: 0; }
.narrow { display: none; }
.sub { display: block; color: var(--muted); font-size: 13px; margin-top: 2px; }
.arrow { color: var(--faint); margin: 0 6px; }
.badge {
  display: inline-block; font-size: 12px; font-weight: 600; padding: 2px 9px; border-radius: 999px;
  background: var(--border); color: var(--muted); white-space: nowrap;
}
.badge.ok { background: var(--ok-soft); color: var(--ok); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.bad { background: var(--danger-soft); color: var(--danger); }
.badge.info { background: var(--info-soft); color: var(--info); }
.badge.live { background: var(--accent-soft); color: var(--accent); }
.empty { padding: 48px 16px; text-align: center; color: var(--muted); }
.back { display: inline-block; margin-bottom: 14px; font-size: 14px; }
.call-head { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; flex-wrap: wrap; }
.call-head .meta { color: var(--muted); display: flex; gap: 6px 10px; flex-wrap: wrap; align-items: center; }
.call-head .meta .sep { color: var(--faint); }
.stats { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-top: 22px; }
.stat { padding: 14px 16px; }
.stat .label { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
.stat .value { font-size: 22px; font-weight: 650; margin-top: 4px; letter-spacing: -.01em; font-variant-numeric: tabular-nums; }
.stat .hint { font-size: 13px; color: var(--muted); margin-top: 2px; }
.player { padding: 16px; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; margin-top: 12px; }
.player audio { flex: 1 1 320px; min-width: 0; height: 40px; }
.player .legend { font-size: 13px; color: var(--muted); }
.transcript { padding: 22px; display: flex; flex-direction: column; gap: 14px; }
.turn { display: flex; flex-direction: column; max-width: min(78%, 640px); }
.turn.caller { align-self: flex-start; }
.turn.agent { align-self: flex-end; align-items: flex-end; }
.turn .who { font-size: 12px; color: var(--muted); margin: 0 4px 4px; display: flex; gap: 8px; }
.turn .who strong { color: var(--text); font-weight: 600; }
.bubble { padding: 10px 14px; border-radius: 16px; border: 1px solid var(--border); background: var(--caller); white-space: pre-wrap; overflow-wrap: anywhere; }
.turn.caller .bubble { border-top-left-radius: 4px; }
.turn.agent .bubble { background: var(--agent); border-color: var(--agent-border); border-top-right-radius: 4px; }
.turn.interrupted .bubble { border: 1px dashed var(--danger); }
.cut { display: block; margin-top: 6px; color: var(--danger); font-size: 13px; font-weight: 600; white-space: normal; }
.timeline { list-style: none; margin: 0; padding: 6px 0; }
.timeline li { display: grid; grid-template-columns: 56px 1fr; gap: 4px 14px; padding: 11px 18px; border-bottom: 1px solid var(--border); align-items: baseline; }
.timeline .what { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.timeline li:last-child { border-bottom: 0; }
.timeline time { color: var(--muted); font-size: 13px; }
.timeline details { grid-column: 2; }
.timeline summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.timeline pre { margin: 6px 0 0; padding: 10px; background: var(--bg); border-radius: 8px; overflow-x: auto; font-size: 12px; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
dl.facts { margin: 0; padding: 8px 18px; display: grid; grid-template-columns: max-content 1fr; gap: 8px 18px; }
dl.facts dt { color: var(--muted); font-size: 14px; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table.tokens { width: 100%; border-collapse: collapse; }
table.tokens td { padding: 8px 18px; border-bottom: 1px solid var(--border); }
table.tokens td.num { text-align: right; }
table.tokens tr.total td { font-weight: 650; border-bottom: 0; }
.phone { padding: 20px; display: flex; flex-direction: column; gap: 16px; }
.phone-status { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; }
.phone .status { font-weight: 600; font-size: 17px; }
.phone .status[data-state="in-call"] { color: var(--ok); }
.phone .status[data-state="failed"] { color: var(--danger); }
.phone .timer { color: var(--muted); }
.speakers { display: flex; gap: 10px; flex-wrap: wrap; }
.speaker { padding: 4px 12px; border-radius: 999px; border: 1px solid var(--border); color: var(--muted); font-size: 13px; font-weight: 600; }
.speaker::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--border); margin-right: 7px; }
.speaker.on { color: var(--text); border-color: var(--accent); background: var(--accent-soft); }
.speaker.on::before { background: var(--accent); }
.phone-actions { display: flex; gap: 10px; }
button.hangup { background: var(--danger); border-color: var(--danger); }
button:disabled { opacity: .45; cursor: default; }
.phone .record { margin: 0; font-size: 14px; }
.transcript .note { align-self: center; font-size: 13px; color: var(--muted); text-align: center; }
.signin { max-width: 420px; margin: 12vh auto 0; padding: 32px; }
.signin h1 { margin-bottom: 8px; }
.signin p { color: var(--muted); margin: 0 0 20px; }
.signin form { display: flex; flex-direction: column; gap: 14px; }
.signin input { width: 100%; }
@media (max-width: 860px) {
  form.filters { grid-template-columns: 1fr 1fr; }
  form.filters .search { grid-column: 1 / -1; }
  .stats { grid-template-columns: repeat(2, 1fr); }
  .columns { grid-template-columns: 1fr; }
}
@media (max-width: 600px) {
  .wrap { padding-left: 14px; padding-right: 14px; }
  table.calls .wide, table.calls .when { display: none; }
  .narrow { display: inline; }
  h1 { font-size: 20px; }
  table.calls td, table.calls th { padding: 12px 10px; }
  .turn { max-width: 92%; }
  .timeline li { padding: 10px 12px; grid-template-columns: 46px 1fr; }
}
${CHART_STYLES}`;
