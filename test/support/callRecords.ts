import {
  emptyUsage,
  estimateCostUsd,
  saveRecording,
  stereoWav,
  type CallEvent,
  type CallStore,
  type EndReason,
  type NewCall,
  type TokenUsage,
  type Turn,
} from '../../src/store';

/** Realistic call records for review tests, the browser test and the README screenshots. */

const PERSONA = 'Ada, Ada Dental receptionist';
const MIN = 60_000;

export interface DemoTurn {
  role: Turn['role'];
  /** Seconds after the call was answered. */
  at: number;
  text: string;
  latencyMs?: number;
  /** An interrupted agent turn: heard / produced seconds. */
  cut?: { heard: number; spoken: number };
}

export interface DemoCall {
  callSid: string;
  from: string;
  to?: string;
  direction?: NewCall['direction'];
  /** When the call started, as ms before `now`. */
  ago: number;
  /** Seconds; undefined leaves the call in progress. */
  lengthS?: number;
  endReason?: EndReason;
  firstAudioMs?: number;
  turns: DemoTurn[];
  events?: Array<Omit<CallEvent, 'at'> & { atS: number }>;
  usage?: Partial<TokenUsage>;
}

/** The featured call: a booking, with one interruption, tool calls and a recording. */
export const FEATURED_CALL: DemoCall = {
  callSid: 'CA8f3b2a61c94d4e0b9a7de5c1f2086b41',
  from: '+14155550142',
  ago: 25 * MIN,
  lengthS: 64,
  endReason: 'caller-hung-up',
  firstAudioMs: 820,
  turns: [
    { role: 'agent', at: 0.8, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I help you today?' },
    { role: 'caller', at: 5.2, text: "Hi, I'd like to book a cleaning, please. Sometime next week if you can." },
    { role: 'agent', at: 10.1, latencyMs: 610, text: 'Of course. Could I have your name and date of birth so I can find your records?' },
    { role: 'caller', at: 16.0, text: "Sure, it's Maria Lopez, March 3rd, 1986." },
    {
      role: 'agent',
      at: 22.4,
      latencyMs: 740,
      text: 'Thanks, Maria. I see you were last in about seven months ago. Next week I have Tuesday at nine thirty in the morning, Wednesday at',
      cut: { heard: 7.2, spoken: 11.8 },
    },
    { role: 'caller', at: 29.8, text: 'Wednesday works. In the afternoon, if possible.' },
    {
      role: 'agent',
      at: 34.6,
      latencyMs: 580,
      text: "Wednesday at two fifteen is free. You're booked for a cleaning with Dr. Chen on Wednesday the 14th at 2:15 PM. You'll get a text reminder the day before. Anything else I can help with?",
    },
    { role: 'caller', at: 46.1, text: 'Is there parking at the office?' },
    { role: 'agent', at: 49.0, latencyMs: 690, text: "Yes, there's free parking behind the building. The entrance is on Elm Street." },
    { role: 'caller', at: 55.3, text: 'Perfect, thank you so much.' },
    { role: 'agent', at: 58.4, latencyMs: 520, text: 'You’re welcome, Maria. See you on Wednesday. Goodbye!' },
  ],
  events: [
    {
      atS: 22.1,
      type: 'tool-call',
      summary: 'check_availability → 3 open slots next week',
      detail: { name: 'check_availability', arguments: { week: 'next', kind: 'cleaning' } },
    },
    {
      atS: 29.6,
      type: 'barge-in',
      summary: 'caller cut in after 7.2 of 11.8 s',
      detail: { itemId: 'item_C4x9f2', audioEndMs: 7200 },
    },
    {
      atS: 34.3,
      type: 'tool-call',
      summary: 'book_appointment → confirmed',
      detail: { name: 'book_appointment', arguments: { patient: 'Maria Lopez', slot: 'Wed 14:15' } },
    },
  ],
  usage: { audioIn: 1840, audioInCached: 5120, textIn: 620, textInCached: 1410, audioOut: 1310, textOut: 410, transcription: 690 },
};

export const OTHER_CALLS: DemoCall[] = [
  {
    callSid: 'CA1d7e4f0a2b3c4d5e6f708192a3b4c5d6',
    from: '+12125550188',
    ago: 2 * MIN,
    firstAudioMs: 790,
    turns: [
      { role: 'agent', at: 0.8, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I help you today?' },
      { role: 'caller', at: 4.9, text: 'Hi, I think I lost a filling this morning.' },
    ],
    usage: { audioIn: 210, audioInCached: 640, textIn: 580, audioOut: 240, textOut: 60, transcription: 90 },
  },
  {
    callSid: 'CA52c0e9d8b7a6f5e4d3c2b1a09f8e7d6c',
    from: '+13105550123',
    ago: 3 * 60 * MIN,
    lengthS: 41,
    endReason: 'agent-ended',
    firstAudioMs: 760,
    turns: [
      { role: 'agent', at: 0.7, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I help you today?' },
      { role: 'caller', at: 4.5, text: 'What time do you close on Saturdays?' },
      { role: 'agent', at: 8.1, latencyMs: 560, text: "On Saturdays we're open from nine until one." },
      { role: 'caller', at: 12.0, text: 'Great, thanks.' },
      { role: 'agent', at: 14.2, latencyMs: 610, text: 'My pleasure. Have a lovely day!' },
    ],
    usage: { audioIn: 720, audioInCached: 1900, textIn: 600, textInCached: 580, audioOut: 520, textOut: 150, transcription: 260 },
  },
  {
    callSid: 'CA9a8b7c6d5e4f30211f2e3d4c5b6a7980',
    from: '+16465550175',
    ago: 26 * 60 * MIN,
    lengthS: 95,
    endReason: 'transferred',
    firstAudioMs: 840,
    turns: [
      { role: 'agent', at: 0.8, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I help you today?' },
      { role: 'caller', at: 5.0, text: "I'm calling about a bill I got last week. I think I was charged twice." },
      { role: 'agent', at: 10.4, latencyMs: 650, text: "I'm sorry about that. Let me put you through to our billing team, who can look at it right away." },
    ],
    events: [{ atS: 17.0, type: 'tool-call', summary: 'transfer_call → billing', detail: { name: 'transfer_call', arguments: { to: 'billing' } } }],
    usage: { audioIn: 610, audioInCached: 1200, textIn: 590, audioOut: 430, textOut: 120, transcription: 210 },
  },
  {
    callSid: 'CA3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b',
    from: '+14155550142',
    ago: 2 * 24 * 60 * MIN,
    lengthS: 36,
    endReason: 'idle-timeout',
    firstAudioMs: 910,
    turns: [
      { role: 'agent', at: 0.9, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I help you today?' },
      { role: 'agent', at: 16.0, latencyMs: 0, text: 'Hello? Are you still there?' },
    ],
    events: [{ atS: 35.5, type: 'note', summary: 'no speech for 30 s: ending the call' }],
    usage: { audioIn: 320, audioInCached: 600, textIn: 590, audioOut: 260, textOut: 70 },
  },
  {
    callSid: 'CA0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    from: '+17185550166',
    ago: 3 * 24 * 60 * MIN,
    lengthS: 12,
    endReason: 'model-error',
    firstAudioMs: 880,
    turns: [{ role: 'agent', at: 0.9, text: 'Hello, thanks for calling Ada Dental. This is Ada. How can I' }],
    events: [{ atS: 11.8, type: 'error', summary: 'model connection lost: 1006', detail: { code: 1006 } }],
    usage: { audioIn: 40, textIn: 590, audioOut: 120, textOut: 30 },
  },
];

/**
 * Writes `calls` into `store` as a live call would (without waiting for each write), and a recording for the
 * featured one if asked. Resolves once all are on record.
 */
export async function seedCalls(
  store: CallStore,
  calls: DemoCall[],
  options: { now: number; recordingsDir?: string; withRecording?: string[] },
): Promise<void> {
  const writes: Array<Promise<unknown>> = [];
  for (const demo of calls) {
    const startedAt = options.now - demo.ago;
    const answeredAt = startedAt + 350;
    writes.push(store.open({
      callSid: demo.callSid,
      streamSid: `MZ${demo.callSid.slice(2)}`,
      direction: demo.direction ?? 'inbound',
      from: demo.from,
      to: demo.to ?? '+14155550100',
      startedAt,
      answeredAt,
      model: 'gpt-realtime',
      voice: 'marin',
      personaName: PERSONA,
      audioMode: 'pcm16',
    }));
    for (const turn of demo.turns) {
      writes.push(store.addTurn(demo.callSid, {
        role: turn.role,
        text: turn.text,
        at: answeredAt + Math.round(turn.at * 1000),
        interrupted: turn.cut !== undefined,
        ...(turn.role === 'agent'
          ? {
              heardMs: Math.round((turn.cut?.heard ?? speechSeconds(turn.text)) * 1000),
              spokenMs: Math.round((turn.cut?.spoken ?? speechSeconds(turn.text)) * 1000),
            }
          : {}),
        ...(turn.latencyMs !== undefined ? { latencyMs: turn.latencyMs } : {}),
      }));
    }
    for (const event of demo.events ?? []) {
      const { atS, ...rest } = event;
      writes.push(store.addEvent(demo.callSid, { ...rest, at: answeredAt + Math.round(atS * 1000) }));
    }
    const usage = { ...emptyUsage(), ...demo.usage };
    writes.push(store.updateStats(demo.callSid, {
      bargeIns: demo.turns.filter((t) => t.cut).length,
      firstAudioMs: demo.firstAudioMs,
      turnLatenciesMs: demo.turns.flatMap((t) => (t.latencyMs ? [t.latencyMs] : [])),
      usage,
      costUsd: estimateCostUsd('gpt-realtime', usage),
    }));
    if (demo.lengthS === undefined) continue;
    let recordingFile: string | undefined;
    if (options.recordingsDir && options.withRecording?.includes(demo.callSid)) {
      recordingFile = saveRecording(options.recordingsDir, demo.callSid, demoRecording(demo));
    }
    writes.push(store.close(demo.callSid, {
      endedAt: answeredAt + demo.lengthS * 1000,
      endReason: demo.endReason ?? 'caller-hung-up',
      recordingFile,
    }));
  }
  await Promise.all(writes);
}

/** All the demo calls, the featured one with a recording. Resolves to the featured call's SID. */
export async function seedDemoCalls(store: CallStore, options: { now: number; recordingsDir: string }): Promise<string> {
  await seedCalls(store, [FEATURED_CALL, ...OTHER_CALLS], { ...options, withRecording: [FEATURED_CALL.callSid] });
  return FEATURED_CALL.callSid;
}

/** About 2.6 words a second, as people speak on the phone. */
function speechSeconds(text: string): number {
  return Math.max(1, text.split(/\s+/).length / 2.6);
}

/** Stand-in audio: a soft hum per turn where each side spoke (no real voices in the repository). */
function demoRecording(demo: DemoCall): Buffer {
  const frames = Math.round((demo.lengthS ?? 0) * 8000);
  const tracks = { caller: new Int16Array(frames), agent: new Int16Array(frames) };
  for (const turn of demo.turns) {
    const start = Math.min(Math.round(turn.at * 8000), frames);
    const audio = hum(turn.role === 'agent' ? 220 : 150, turn.cut?.heard ?? speechSeconds(turn.text));
    tracks[turn.role].set(audio.subarray(0, frames - start), start);
  }
  return stereoWav(tracks.caller, tracks.agent, 8000);
}

function hum(hz: number, seconds: number): Int16Array {
  const pcm = new Int16Array(Math.round(seconds * 8000));
  for (let i = 0; i < pcm.length; i++) {
    const t = i / 8000;
    const syllables = 0.55 + 0.45 * Math.sin(2 * Math.PI * 3.2 * t); // ~3 syllables a second
    pcm[i] = Math.round(5000 * syllables * Math.sin(2 * Math.PI * hz * t));
  }
  return pcm;
}
