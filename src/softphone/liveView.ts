import type { CallRecorder } from '../call';
import type { PageEvent } from '../telephony';

/**
 * The call's record as it is written, shown live on the softphone page: each turn as the caller heard it, each
 * barge-in, what the call did (tools, keys, errors) and how it ended. Everything still goes to `record` (the call
 * records), when there is one. The call itself is unchanged: this is only another reader of what it records.
 * Made when the call starts: `startedAt` is when, so each turn can say how far into the call it was said.
 */
export function showOnPage(page: { show(event: PageEvent): void }, record: CallRecorder | undefined, startedAt = Date.now()): CallRecorder {
  return {
    turn: (turn) => {
      record?.turn(turn);
      page.show({
        event: 'transcript',
        role: turn.role,
        text: turn.text,
        atMs: Math.max(0, turn.at - startedAt),
        interrupted: turn.interrupted,
        ...(turn.heardMs !== undefined ? { heardMs: turn.heardMs } : {}),
        ...(turn.spokenMs !== undefined ? { spokenMs: turn.spokenMs } : {}),
      });
    },
    event: (event) => {
      record?.event(event);
      page.show({ event: 'call-event', type: event.type, summary: event.summary });
    },
    bargeIn: (truncations) => {
      record?.bargeIn(truncations);
      page.show({ event: 'barge-in', heardMs: truncations[0]?.heardMs ?? 0 });
    },
    finish: (reason) => {
      record?.finish(reason);
      page.show({ event: 'ended', reason });
    },
    firstAudio: (ms) => record?.firstAudio(ms),
    turnLatency: (ms) => record?.turnLatency(ms),
    responseUsage: (usage) => record?.responseUsage(usage),
    transcriptionUsage: (usage) => record?.transcriptionUsage(usage),
    callerAudio: (mulaw, atMs) => record?.callerAudio(mulaw, atMs),
    agentAudio: (mulaw, atMs) => record?.agentAudio(mulaw, atMs),
    agentCleared: (atMs) => record?.agentCleared(atMs),
  };
}
