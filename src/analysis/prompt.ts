import type { CallDetail } from '../store';

/** What the text model reads: how to analyse, and the call as the caller heard it. */
export interface AnalysisPrompt {
  instructions: string;
  input: string;
}

const INSTRUCTIONS = [
  'You read the transcript of a phone call between a caller and an AI phone agent, and report on it.',
  'Write a short, factual summary (two or three sentences) of what the caller wanted and what happened, then fill in the fields.',
  'Use only what the transcript says; when it does not tell, say so in a text field, or use null where the field allows it.',
  "Agent lines marked [cut off] were interrupted by the caller: the caller heard only the words shown.",
  'Caller lines are machine transcriptions of speech and may contain mistakes.',
].join(' ');

/** The call's transcript as heard (the stored turns), with the facts the model needs to read it. */
export function analysisPrompt(call: CallDetail): AnalysisPrompt {
  const facts = [
    `Direction: ${call.direction === 'outbound' ? 'the agent placed this call' : 'the caller called the agent'}`,
    `Agent persona: ${call.personaName}`,
    call.durationMs === undefined ? undefined : `Length: ${Math.round(call.durationMs / 1000)} s`,
    call.endReason === undefined ? undefined : `Ended: ${call.endReason.replace(/-/g, ' ')}`,
  ].filter((line): line is string => line !== undefined);
  const lines = call.transcript.map((turn) => {
    const who = turn.role === 'agent' ? 'Agent' : 'Caller';
    return `${who}: ${turn.text.trim() || '…'}${turn.interrupted ? ' [cut off]' : ''}`;
  });
  return { instructions: INSTRUCTIONS, input: `${facts.join('\n')}\n\nTranscript:\n${lines.join('\n')}` };
}
