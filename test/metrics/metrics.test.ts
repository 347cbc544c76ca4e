import { AgentMetrics } from '../../src/metrics';
import type { CallRecorder } from '../../src/call';
import { emptyUsage, estimateCostUsd } from '../../src/store';
import type { LineStart } from '../../src/telephony';
import { parseExposition, valueOf } from './exposition';

const MODEL = 'gpt-realtime-2.1';

function start(direction: string, callSid = 'CA1'): LineStart {
  return { callSid, streamSid: 'MZ1', from: '+15550001111', to: '+15550002222', direction, reachedAt: Date.now() } as LineStart;
}

/** Every method of a recorder, as jest mocks; `finish` resolves like the store's recorder does. */
function inner(): jest.Mocked<CallRecorder> {
  return {
    turn: jest.fn(),
    event: jest.fn(),
    bargeIn: jest.fn(),
    firstAudio: jest.fn(),
    turnLatency: jest.fn(),
    responseUsage: jest.fn(),
    transcriptionUsage: jest.fn(),
    callerAudio: jest.fn(),
    agentAudio: jest.fn(),
    agentCleared: jest.fn(),
    // Typed void, but the store's recorder returns a promise: what the decorator must hand back.
    finish: jest.fn(() => Promise.resolve()) as unknown as jest.Mocked<CallRecorder>['finish'],
  };
}

describe('AgentMetrics', () => {
  it('counts calls started and ended by direction and end reason', async () => {
    const metrics = new AgentMetrics({ model: MODEL });
    metrics.recorder(start('inbound')).finish('caller-hung-up');
    metrics.recorder(start('inbound')).finish('caller-hung-up');
    metrics.recorder(start('outbound-api')).finish('answering-machine');
    metrics.recorder(start('web'));
    const text = await metrics.registry.metrics();
    expect(valueOf(text, 'phone_agent_calls_started_total', { direction: 'inbound' })).toBe(2);
    expect(valueOf(text, 'phone_agent_calls_started_total', { direction: 'outbound' })).toBe(1);
    expect(valueOf(text, 'phone_agent_calls_started_total', { direction: 'web' })).toBe(1);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { direction: 'inbound', reason: 'caller-hung-up' })).toBe(2);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { direction: 'outbound', reason: 'answering-machine' })).toBe(1);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { direction: 'web' })).toBeUndefined();
    expect(valueOf(text, 'phone_agent_model_failures_total')).toBe(0);
  });

  it('counts reconnects, model failures and barge-ins, and observes latencies in seconds', async () => {
    const metrics = new AgentMetrics({ model: MODEL });
    const call = metrics.recorder(start('inbound'));
    call.firstAudio(420);
    call.turnLatency(800);
    call.turnLatency(1200);
    call.event({ type: 'reconnect', summary: 'dropped; reconnecting (attempt 1)' });
    call.event({ type: 'error', summary: 'model error: boom' });
    call.bargeIn([{ itemId: 'item1', heardMs: 1200, sentMs: 3000 }]);
    call.finish('model-error');
    const text = await metrics.registry.metrics();
    expect(valueOf(text, 'phone_agent_model_reconnects_total')).toBe(1);
    expect(valueOf(text, 'phone_agent_model_failures_total')).toBe(1);
    expect(valueOf(text, 'phone_agent_barge_ins_total')).toBe(1);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_count')).toBe(1);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_sum')).toBeCloseTo(0.42);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_bucket', { le: '0.5' })).toBe(1);
    expect(valueOf(text, 'phone_agent_first_audio_seconds_bucket', { le: '0.3' })).toBe(0);
    expect(valueOf(text, 'phone_agent_reply_latency_seconds_count')).toBe(2);
    expect(valueOf(text, 'phone_agent_reply_latency_seconds_sum')).toBeCloseTo(2);
    expect(valueOf(text, 'phone_agent_calls_ended_total', { reason: 'model-error' })).toBe(1);
  });

  it('counts tokens by kind, cached input apart, and the estimated cost as the call record does', async () => {
    const metrics = new AgentMetrics({ model: MODEL });
    const call = metrics.recorder(start('inbound'));
    const response = {
      total_tokens: 1700,
      input_tokens: 1500,
      output_tokens: 200,
      input_token_details: { audio_tokens: 1000, text_tokens: 500, cached_tokens: 300, cached_tokens_details: { audio_tokens: 200, text_tokens: 100 } },
      output_token_details: { audio_tokens: 150, text_tokens: 50 },
    };
    call.responseUsage(response);
    call.transcriptionUsage({ type: 'tokens', input_tokens: 40, output_tokens: 10, total_tokens: 50 });
    call.transcriptionUsage({ type: 'duration', seconds: 12 });
    call.responseUsage(undefined);
    const text = await metrics.registry.metrics();
    const tokens = (kind: string) => valueOf(text, 'phone_agent_model_tokens_total', { kind });
    expect([tokens('audio_in'), tokens('audio_in_cached'), tokens('text_in'), tokens('text_in_cached')]).toEqual([800, 200, 400, 100]);
    expect([tokens('audio_out'), tokens('text_out'), tokens('transcription')]).toEqual([150, 50, 50]);
    expect(valueOf(text, 'phone_agent_transcription_audio_seconds_total')).toBe(12);
    const usage = { ...emptyUsage(), audioIn: 800, audioInCached: 200, textIn: 400, textInCached: 100, audioOut: 150, textOut: 50, transcription: 50, transcriptionSeconds: 12 };
    const expected = estimateCostUsd(MODEL, usage);
    expect(expected).toBeGreaterThan(0);
    expect(valueOf(text, 'phone_agent_estimated_cost_usd_total')).toBeCloseTo(expected, 9);
  });

  it('costs nothing for a model without prices, but still counts its tokens', async () => {
    const metrics = new AgentMetrics({ model: 'some-unknown-model' });
    metrics.recorder(start('inbound')).responseUsage({ output_token_details: { audio_tokens: 10 } });
    const text = await metrics.registry.metrics();
    expect(valueOf(text, 'phone_agent_model_tokens_total', { kind: 'audio_out' })).toBe(10);
    expect(valueOf(text, 'phone_agent_estimated_cost_usd_total')).toBe(0);
  });

  it('passes everything on to the call record unchanged, and returns what its finish returns', async () => {
    const metrics = new AgentMetrics({ model: MODEL });
    const record = inner();
    const call = metrics.recorder(start('inbound'), record);
    const audio = new Uint8Array([1, 2, 3]);
    const turn = { role: 'caller' as const, text: 'hi', at: 1, interrupted: false };
    const cut = [{ itemId: 'i', heardMs: 1, sentMs: 2 }];
    call.turn(turn);
    call.event({ type: 'note', summary: 'n' });
    call.bargeIn(cut);
    call.firstAudio(5);
    call.turnLatency(6);
    call.responseUsage(undefined);
    call.transcriptionUsage(undefined);
    call.callerAudio(audio, 7);
    call.agentAudio(audio, 8);
    call.agentCleared(9);
    const finished = call.finish('agent-ended') as unknown;
    expect(record.turn).toHaveBeenCalledWith(turn);
    expect(record.event).toHaveBeenCalledWith({ type: 'note', summary: 'n' });
    expect(record.bargeIn).toHaveBeenCalledWith(cut);
    expect(record.firstAudio).toHaveBeenCalledWith(5);
    expect(record.turnLatency).toHaveBeenCalledWith(6);
    expect(record.responseUsage).toHaveBeenCalledWith(undefined);
    expect(record.transcriptionUsage).toHaveBeenCalledWith(undefined);
    expect(record.callerAudio).toHaveBeenCalledWith(audio, 7);
    expect(record.agentAudio).toHaveBeenCalledWith(audio, 8);
    expect(record.agentCleared).toHaveBeenCalledWith(9);
    expect(record.finish).toHaveBeenCalledWith('agent-ended');
    expect(finished).toBe(record.finish.mock.results[0].value);
  });

  it('reads active calls at each scrape', async () => {
    const metrics = new AgentMetrics({ model: MODEL });
    expect(valueOf(await metrics.registry.metrics(), 'phone_agent_active_calls')).toBe(0);
    let active = 3;
    metrics.countActiveCalls(() => active);
    expect(valueOf(await metrics.registry.metrics(), 'phone_agent_active_calls')).toBe(3);
    active = 1;
    expect(valueOf(await metrics.registry.metrics(), 'phone_agent_active_calls')).toBe(1);
  });

  it('keeps each instance in a registry of its own, and the global one empty', async () => {
    const { register } = await import('prom-client');
    const a = new AgentMetrics({ model: MODEL });
    const b = new AgentMetrics({ model: MODEL });
    a.recorder(start('inbound'));
    expect(valueOf(await a.registry.metrics(), 'phone_agent_calls_started_total', { direction: 'inbound' })).toBe(1);
    expect(valueOf(await b.registry.metrics(), 'phone_agent_calls_started_total', { direction: 'inbound' })).toBeUndefined();
    expect(await register.metrics()).not.toContain('phone_agent_');
  });

  it('adds the process metrics, event-loop delay among them, only when asked', async () => {
    const plain = await new AgentMetrics({ model: MODEL }).registry.metrics();
    expect(plain).not.toContain('nodejs_eventloop_lag');
    const withProcess = await new AgentMetrics({ model: MODEL, processMetrics: true }).registry.metrics();
    const names = new Set(parseExposition(withProcess).map((s) => s.name));
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes', 'process_cpu_seconds_total']) {
      expect(names).toContain(name);
    }
  });
});
