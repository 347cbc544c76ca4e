import {
  addResponseUsage,
  addTranscriptionUsage,
  emptyUsage,
  estimateCostUsd,
  pricesFor,
  TRANSCRIPTION_USD_PER_1M,
} from '../../src/store';
import { TRANSCRIPTION_USD_PER_MINUTE } from '../../src/store/cost';

describe('token usage', () => {
  it('moves cached tokens out of the input counts, so none is counted twice', () => {
    const total = addResponseUsage(emptyUsage(), {
      input_tokens: 1500,
      input_token_details: {
        audio_tokens: 1000,
        text_tokens: 500,
        cached_tokens: 900,
        cached_tokens_details: { audio_tokens: 600, text_tokens: 300 },
      },
      output_tokens: 700,
      output_token_details: { audio_tokens: 600, text_tokens: 100 },
      total_tokens: 2200,
    });
    expect(total).toEqual({
      audioIn: 400,
      audioInCached: 600,
      textIn: 200,
      textInCached: 300,
      audioOut: 600,
      textOut: 100,
      transcription: 0,
      transcriptionSeconds: 0,
    });
  });

  it('sums responses without changing the total it was given', () => {
    const first = addResponseUsage(emptyUsage(), { input_token_details: { audio_tokens: 10 }, output_token_details: { audio_tokens: 20 } });
    const second = addResponseUsage(first, { input_token_details: { audio_tokens: 5, text_tokens: 3 }, output_token_details: { text_tokens: 4 } });
    expect(first).toMatchObject({ audioIn: 10, audioOut: 20, textIn: 0 });
    expect(second).toMatchObject({ audioIn: 15, textIn: 3, audioOut: 20, textOut: 4 });
  });

  it('shares cached tokens without a breakdown in proportion to the input, never above it', () => {
    const total = addResponseUsage(emptyUsage(), {
      input_token_details: { audio_tokens: 300, text_tokens: 100, cached_tokens: 200 },
    });
    expect(total).toMatchObject({ audioIn: 150, audioInCached: 150, textIn: 50, textInCached: 50 });
    const odd = addResponseUsage(emptyUsage(), {
      input_token_details: { audio_tokens: 10, text_tokens: 0, cached_tokens: 50 },
    });
    expect(odd).toMatchObject({ audioIn: 0, audioInCached: 10, textIn: 0, textInCached: 0 });
  });

  it('tolerates a response without usage', () => {
    expect(addResponseUsage(emptyUsage(), undefined)).toEqual(emptyUsage());
  });

  it('adds transcription tokens (input and output), and seconds for duration-billed models', () => {
    const tokens = addTranscriptionUsage(emptyUsage(), { type: 'tokens', input_tokens: 40, output_tokens: 12, total_tokens: 52 });
    expect(tokens).toMatchObject({ transcription: 52, transcriptionSeconds: 0 });
    const both = addTranscriptionUsage(addTranscriptionUsage(tokens, { type: 'duration', seconds: 3 }), { type: 'duration', seconds: 1.5 });
    expect(both).toMatchObject({ transcription: 52, transcriptionSeconds: 4.5 });
    expect(addResponseUsage(both, { output_token_details: { audio_tokens: 10 } })).toMatchObject({ transcriptionSeconds: 4.5 });
  });
});

describe('cost estimate', () => {
  const usage = {
    audioIn: 1_000_000,
    audioInCached: 1_000_000,
    textIn: 1_000_000,
    textInCached: 1_000_000,
    audioOut: 1_000_000,
    textOut: 1_000_000,
    transcription: 0,
    transcriptionSeconds: 0,
  };

  it('prices each kind of token at the model’s rate per 1M', () => {
    expect(estimateCostUsd('gpt-realtime', usage)).toBeCloseTo(32 + 0.4 + 4 + 0.4 + 64 + 16, 10);
    expect(estimateCostUsd('gpt-realtime-2', usage)).toBeCloseTo(32 + 0.4 + 4 + 0.4 + 64 + 24, 10);
    expect(estimateCostUsd('gpt-realtime-2.1', usage)).toBeCloseTo(32 + 0.4 + 4 + 0.4 + 64 + 24, 10);
    expect(estimateCostUsd('gpt-realtime-mini', usage)).toBeCloseTo(10 + 0.3 + 0.6 + 0.06 + 20 + 2.4, 10);
    expect(estimateCostUsd('gpt-realtime-2.1-mini', usage)).toBeCloseTo(10 + 0.3 + 0.6 + 0.06 + 20 + 2.4, 10);
  });

  it('prices transcription billed by duration per minute of audio (gpt-realtime-whisper)', () => {
    expect(TRANSCRIPTION_USD_PER_MINUTE).toBe(0.017);
    const transcribed = { ...emptyUsage(), transcriptionSeconds: 90 };
    expect(estimateCostUsd('gpt-realtime-2.1', transcribed)).toBeCloseTo(1.5 * 0.017, 12);
    const call = addTranscriptionUsage(addResponseUsage(emptyUsage(), { output_token_details: { audio_tokens: 1000 } }), {
      type: 'duration',
      seconds: 30,
    });
    expect(estimateCostUsd('gpt-realtime-2.1', call)).toBeCloseTo((1000 * 64) / 1e6 + 0.5 * 0.017, 12);
  });

  it('prices a typical minute of conversation', () => {
    // ~600 audio tokens a minute each way, a cached prompt, plus transcription.
    const minute = { ...emptyUsage(), audioIn: 600, audioInCached: 2000, textIn: 300, audioOut: 600, transcription: 700 };
    const expected = (600 * 32 + 2000 * 0.4 + 300 * 4 + 600 * 64 + 700 * TRANSCRIPTION_USD_PER_1M) / 1e6;
    expect(estimateCostUsd('gpt-realtime', minute)).toBeCloseTo(expected, 12);
  });

  it('matches dated snapshots to their family and knows the listed ones', () => {
    expect(pricesFor('gpt-realtime-2025-08-28')).toEqual(pricesFor('gpt-realtime'));
    expect(pricesFor('gpt-realtime-mini-2025-10-06')).toEqual(pricesFor('gpt-realtime-mini'));
    expect(pricesFor('gpt-realtime-2.1-mini')).toEqual(pricesFor('gpt-realtime-mini'));
    expect(pricesFor('gpt-realtime-2.1')?.textOut).toBe(24);
    expect(pricesFor('gpt-realtime-2.1-2026-09-01')).toEqual(pricesFor('gpt-realtime-2.1'));
    expect(pricesFor('gpt-realtime-2.1-mini-2026-09-01')).toEqual(pricesFor('gpt-realtime-2.1-mini'));
    expect(pricesFor('gpt-realtime-1.5')?.textOut).toBe(16);
  });

  it('uses overrides first, also for a family, and prices an unknown model at 0', () => {
    const cheap = { audioIn: 1, audioInCached: 0, textIn: 0, textInCached: 0, audioOut: 0, textOut: 0 };
    expect(estimateCostUsd('gpt-realtime', usage, { 'gpt-realtime': cheap })).toBeCloseTo(1, 10);
    expect(estimateCostUsd('my-model-2026-01-01', usage, { 'my-model': cheap })).toBeCloseTo(1, 10);
    expect(pricesFor('my-model')).toBeUndefined();
    expect(estimateCostUsd('my-model', usage)).toBe(0);
  });
});
