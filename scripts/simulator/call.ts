import { performance } from 'node:perf_hooks';
import { levelDbfs, mulawToPcm16 } from '../../src/audio';
import type { PlacedCall } from './dial';
import { Playout, type Cut } from './playout';

const FRAME_MS = 20;
const FRAME_BYTES = 160;
const SILENCE = 0xff;
/** Caller frames at or above this level count as speech, for reply latencies. */
const SPEECH_DBFS = -40;
/** Without --barge-in-at the caller waits for the greeting to end, and this much quiet after it. */
const QUIET_BEFORE_TALKING_MS = 700;
/** With no greeting by then, the caller talks first. */
const GREETING_WAIT_MS = 3000;
/** With --barge-in-at, the caller talks anyway if the agent has said nothing by then. */
const BARGE_IN_WAIT_MS = 10_000;
/** Once the caller has finished, the call ends after the agent's answer and this much quiet... */
const QUIET_AFTER_ANSWER_MS = 2000;
/** ...or after this much quiet with no answer. */
const QUIET_WITHOUT_ANSWER_MS = 10_000;
/** The longest a call may go on after the caller's audio. */
const MAX_AFTER_CALLER_MS = 120_000;
/** After hanging up, how long the server has to close the stream. */
const CLOSE_WAIT_MS = 3000;

export interface TranscriptLine {
  role: 'caller' | 'agent';
  text: string;
  atMs: number;
  interrupted: boolean;
  heardMs?: number;
  spokenMs?: number;
}

export interface SimulatedCallResult {
  callSid: string;
  via: PlacedCall['via'];
  durationMs: number;
  /** When the caller's audio started and ended, ms into the call. */
  callerFromMs: number;
  callerToMs: number;
  /** The first agent audio, ms into the call. */
  firstAudioMs?: number;
  /** End of the caller's speech → the agent's next audio, for each answer. */
  replyLatenciesMs: number[];
  /** Each barge-in: when, and how much of the reply had been heard (the truncation point) of how much was sent. */
  cuts: Cut[];
  /** The agent as heard: μ-law 8 kHz on the call's timeline. */
  heard: Uint8Array;
  /** The transcript as the softphone page is told it; empty on a Twilio call (read it from the record). */
  transcript: TranscriptLine[];
  hungUpBy: 'caller' | 'agent';
  /** How the call ended, as the softphone page is told. */
  endReason?: string;
  transferredTo?: string;
  closeCode: number;
  closeReason: string;
}

/**
 * Plays the caller's side of a call in real time, as a phone line does: 20 ms μ-law frames (the caller's audio,
 * else silence), the agent's audio played on the line's clock with marks echoed once played and dropped on a clear.
 * The caller starts talking once the greeting is over, or `bargeInAtMs` into the agent's first words (to talk over
 * it), and hangs up once the agent has answered and gone quiet.
 */
export async function simulateCall(placed: PlacedCall, caller: Uint8Array, options: { bargeInAtMs?: number; log?: (line: string) => void } = {}): Promise<SimulatedCallResult> {
  const { ws } = placed;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const playout = new Playout();
  const transcript: TranscriptLine[] = [];
  const replyLatenciesMs: number[] = [];
  let sequence = 0;
  let framesSent = 0;
  const call = { phase: 'waiting' as 'waiting' | 'talking' | 'listening' | 'hanging-up' };
  let callerAt = 0;
  let callerFromMs = 0;
  let callerToMs = 0;
  let firstAudioMs: number | undefined;
  let lastSpeechEndMs: number | undefined;
  let spokeSinceAnswer = false;
  let spurtsSeen = 0;
  let endReason: string | undefined;
  let transferredTo: string | undefined;

  const send = (message: Record<string, unknown>) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ ...message, sequenceNumber: String(++sequence), streamSid: placed.streamSid }));
  };
  const echo = (names: string[]) => names.forEach((name) => send({ event: 'mark', mark: { name } }));

  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('message', (data) => {
    let message: any;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    const t = now();
    switch (message.event) {
      case 'media':
        firstAudioMs ??= t;
        return playout.media(Buffer.from(message.media.payload, 'base64'), t);
      case 'mark':
        playout.mark(message.mark.name);
        return echo(playout.advance(t));
      case 'clear':
        return echo(playout.clear(t));
      case 'transcript':
        return void transcript.push({ role: message.role, text: message.text, atMs: message.atMs, interrupted: message.interrupted, heardMs: message.heardMs, spokenMs: message.spokenMs });
      case 'transfer':
        transferredTo = message.number;
        return;
      case 'ended':
        endReason = message.reason;
        return;
    }
  });

  if (placed.via === 'twilio') ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  send({
    event: 'start',
    start: {
      accountSid: placed.start.accountSid,
      streamSid: placed.streamSid,
      callSid: placed.callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: placed.start.customParameters,
    },
  });

  const nextFrame = (t: number): Uint8Array => {
    const frame = new Uint8Array(FRAME_BYTES).fill(SILENCE);
    if (call.phase !== 'talking') return frame;
    frame.set(caller.subarray(callerAt, callerAt + FRAME_BYTES));
    callerAt += FRAME_BYTES;
    if (callerAt >= caller.length) {
      call.phase = 'listening';
      callerToMs = t + FRAME_MS;
      options.log?.(`${seconds(callerToMs)}  your audio ended`);
    }
    return frame;
  };

  /** Where the call is going: start talking, hang up. */
  const decide = (t: number) => {
    const quietFor = playout.playing || playout.quietSinceMs === undefined ? 0 : t - playout.quietSinceMs;
    if (call.phase === 'waiting') {
      const heardAgent = playout.spurtStarts.length > 0;
      const ready =
        options.bargeInAtMs !== undefined
          ? playout.spurtHeardMs >= options.bargeInAtMs || t >= BARGE_IN_WAIT_MS
          : (heardAgent && quietFor >= QUIET_BEFORE_TALKING_MS) || (!heardAgent && t >= GREETING_WAIT_MS);
      if (ready) {
        call.phase = 'talking';
        callerFromMs = t;
        options.log?.(`${seconds(t)}  you start talking${playout.playing ? ' over the agent' : ''}`);
      }
    } else if (call.phase === 'listening') {
      const answered = playout.spurtStarts.some((s) => s > callerToMs);
      if ((answered && quietFor >= QUIET_AFTER_ANSWER_MS) || quietFor >= QUIET_WITHOUT_ANSWER_MS || t - callerToMs > MAX_AFTER_CALLER_MS) {
        call.phase = 'hanging-up';
        options.log?.(`${seconds(t)}  you hang up`);
        send({ event: 'stop', stop: { accountSid: placed.start.accountSid, callSid: placed.callSid } });
        setTimeout(() => ws.close(1000), CLOSE_WAIT_MS).unref();
      }
    }
  };

  /** Each agent answer: how long after the caller's speech ended it was heard. */
  const noteAnswers = () => {
    for (; spurtsSeen < playout.spurtStarts.length; spurtsSeen++) {
      const startedAt = playout.spurtStarts[spurtsSeen];
      options.log?.(`${seconds(startedAt)}  the agent speaks`);
      if (spokeSinceAnswer && lastSpeechEndMs !== undefined && startedAt > lastSpeechEndMs) replyLatenciesMs.push(Math.round(startedAt - lastSpeechEndMs));
      spokeSinceAnswer = false;
    }
  };

  // The line's clock: a frame every 20 ms, on time however late a timer fires.
  const tick = () => {
    if (ws.readyState !== ws.OPEN) return;
    const t = now();
    echo(playout.advance(t));
    noteAnswers();
    while (framesSent * FRAME_MS <= t) {
      const frame = nextFrame(t);
      if (levelDbfs(mulawToPcm16(frame)) >= SPEECH_DBFS) {
        lastSpeechEndMs = (framesSent + 1) * FRAME_MS;
        spokeSinceAnswer = true;
      }
      send({ event: 'media', media: { track: 'inbound', chunk: String(framesSent + 1), timestamp: String(framesSent * FRAME_MS), payload: Buffer.from(frame).toString('base64') } });
      framesSent++;
    }
    if (call.phase !== 'hanging-up') decide(t);
    timer = setTimeout(tick, Math.max(1, (framesSent * FRAME_MS) - now()));
  };
  let timer = setTimeout(tick, 0);
  const { code, reason } = await closed;
  clearTimeout(timer);
  const durationMs = now();
  noteAnswers();
  return {
    callSid: placed.callSid,
    via: placed.via,
    durationMs,
    callerFromMs,
    callerToMs: call.phase === 'talking' ? durationMs : callerToMs || callerFromMs,
    firstAudioMs,
    replyLatenciesMs,
    cuts: playout.cuts,
    heard: playout.heard(durationMs),
    transcript,
    hungUpBy: call.phase === 'hanging-up' ? 'caller' : 'agent',
    endReason,
    transferredTo: transferredTo ?? (await placed.afterStream()),
    closeCode: code,
    closeReason: reason,
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(6)} s`;
}
