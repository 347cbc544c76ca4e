import type { SimulatedCallResult, TranscriptLine } from './call';

const ENDINGS: Record<string, string> = {
  'caller-hung-up': 'the caller hung up',
  'agent-ended': 'the agent hung up',
  transferred: 'the agent transferred the caller',
  'max-duration': 'the call reached its time limit',
  'idle-timeout': 'nobody spoke for too long',
  'model-error': 'the model could not be reached',
  'protocol-error': 'the line failed',
  'server-shutdown': 'the server shut down',
  error: 'the server failed',
};

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The simulated call in words: what happened when, and what was said as heard. */
export function renderReport(result: SimulatedCallResult, transcript: TranscriptLine[] | undefined, notes: string[] = []): string {
  const ending = result.endReason
    ? (ENDINGS[result.endReason] ?? result.endReason)
    : result.hungUpBy === 'caller'
      ? 'the caller hung up'
      : `the server closed the stream (${result.closeCode}${result.closeReason ? `: ${result.closeReason}` : ''})`;
  const lines = [
    '',
    `Call ${result.callSid} (${result.via === 'twilio' ? 'as Twilio' : 'through the softphone'}): ${s(result.durationMs)}; ${ending}.`,
    `  your audio            ${s(result.callerFromMs)} to ${s(result.callerToMs)}`,
    `  first agent audio     ${result.firstAudioMs === undefined ? 'none' : `${s(result.firstAudioMs)} after the call connected`}`,
    `  reply latencies       ${result.replyLatenciesMs.length === 0 ? 'none' : `${result.replyLatenciesMs.map(s).join(', ')} (end of your speech → the agent heard)`}`,
    `  barge-ins             ${result.cuts.length === 0 ? 'none' : result.cuts.length}`,
    ...result.cuts.map((cut) => `    at ${s(cut.atMs)}: the agent was cut after ${s(cut.heardMs)} heard of ${s(cut.sentMs)} sent`),
  ];
  if (result.transferredTo) lines.push(`  transferred to        ${result.transferredTo}`);
  lines.push('', 'Transcript, as heard:');
  if (!transcript) lines.push('  (set ADMIN_TOKEN, or pass --token, to read it from the call record)');
  else if (transcript.length === 0) lines.push('  nothing was said');
  for (const turn of transcript ?? []) {
    const cut = turn.interrupted ? `  [interrupted${turn.heardMs !== undefined && turn.spokenMs !== undefined ? ` at ${s(turn.heardMs)} of ${s(turn.spokenMs)}` : ''}]` : '';
    lines.push(`  ${s(turn.atMs).padStart(8)}  ${turn.role.padEnd(6)}  ${turn.text || '…'}${cut}`);
  }
  lines.push(...notes.map((note) => `\n${note}`), '');
  return lines.join('\n');
}
