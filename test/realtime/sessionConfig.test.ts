import { loadConfig } from '../../src/config';
import { greetingInstructions, phoneSession, reseedItems } from '../../src/realtime';
import { shutdownWarnings } from '../../src/realtime/models';

describe('session settings', () => {
  it('transcodes by default and passes μ-law through on request', () => {
    const pcm = phoneSession(loadConfig({ OPENAI_API_KEY: 'k' }));
    expect(pcm.audio?.input?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(pcm.audio?.output?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    const pcmu = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AUDIO_MODE: 'passthrough' }));
    expect(pcmu.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
    expect(pcmu.audio?.output?.format).toEqual({ type: 'audio/pcmu' });
  });

  it('in hybrid mode the model hears Twilio\'s μ-law and speaks PCM16 that the bridge downsamples', () => {
    const hybrid = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AUDIO_MODE: 'hybrid' }));
    expect(hybrid.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
    expect(hybrid.audio?.output?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
  });

  it('leaves transcription and noise reduction out when they are off', () => {
    const session = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', TRANSCRIPTION_MODEL: '', NOISE_REDUCTION: 'off' }));
    expect(session.audio?.input).not.toHaveProperty('transcription');
    expect(session.audio?.input).not.toHaveProperty('noise_reduction');
  });

  it('uses gpt-realtime-whisper for transcription and a low reasoning effort by default', () => {
    const session = phoneSession(loadConfig({ OPENAI_API_KEY: 'k' }));
    expect(session.reasoning).toEqual({ effort: 'low' });
    expect(session.audio?.input?.transcription).toEqual({ model: 'gpt-realtime-whisper' });
    expect(session.audio?.output?.voice).toBe('marin');
  });

  it('sends the reasoning effort only to models that take one, and the transcription delay and language when set', () => {
    const tuned = phoneSession(
      loadConfig({ OPENAI_API_KEY: 'k', REASONING_EFFORT: 'minimal', TRANSCRIPTION_DELAY: 'high', TRANSCRIPTION_LANGUAGE: 'en' }),
    );
    expect(tuned.reasoning).toEqual({ effort: 'minimal' });
    expect(tuned.audio?.input?.transcription).toEqual({ model: 'gpt-realtime-whisper', language: 'en', delay: 'high' });
    const older = phoneSession(
      loadConfig({ OPENAI_API_KEY: 'k', OPENAI_REALTIME_MODEL: 'gpt-realtime-1.5', TRANSCRIPTION_MODEL: 'gpt-4o-transcribe' }),
    );
    expect(older).not.toHaveProperty('reasoning');
    expect(older.audio?.input?.transcription).toEqual({ model: 'gpt-4o-transcribe' });
  });

  it('detects turns with server VAD by default, with the configured threshold, padding and silence', () => {
    const session = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', VAD_THRESHOLD: '0.7', VAD_SILENCE_MS: '650' }));
    expect(session.audio?.input?.turn_detection).toEqual({
      type: 'server_vad',
      threshold: 0.7,
      prefix_padding_ms: 300,
      silence_duration_ms: 650,
      create_response: true,
      interrupt_response: true,
    });
  });

  it('detects turns semantically on request, still answering and yielding to the caller by itself', () => {
    const semantic = (env: NodeJS.ProcessEnv) =>
      phoneSession(loadConfig({ OPENAI_API_KEY: 'k', TURN_DETECTION: 'semantic_vad', ...env })).audio?.input?.turn_detection;
    expect(semantic({})).toEqual({ type: 'semantic_vad', eagerness: 'auto', create_response: true, interrupt_response: true });
    expect(semantic({ VAD_EAGERNESS: 'high' })).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
      create_response: true,
      interrupt_response: true,
    });
  });

  it('asks for the agent language in the instructions and in transcription', () => {
    const plain = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AGENT_INSTRUCTIONS: 'You are Ada.' }));
    expect(plain.instructions).toBe('You are Ada.');
    const spanish = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AGENT_INSTRUCTIONS: 'You are Ada.', AGENT_LANGUAGE: 'es' }));
    expect(spanish.instructions).toBe('You are Ada.\n\nSpeak Spanish (es) unless the caller clearly prefers another language.');
    expect(spanish.audio?.input?.transcription).toEqual({ model: 'gpt-realtime-whisper', language: 'es' });
    const override = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AGENT_LANGUAGE: 'es', TRANSCRIPTION_LANGUAGE: 'ca' }));
    expect(override.audio?.input?.transcription).toEqual({ model: 'gpt-realtime-whisper', language: 'ca' });
    expect(override.instructions).toMatch(/Speak Spanish \(es\)/);
  });

  it('greets with the configured words', () => {
    expect(greetingInstructions('Hi, Ada here.')).toContain('"Hi, Ada here."');
  });

  it('re-seeds a session with the conversation as text items', () => {
    expect(
      reseedItems([
        { role: 'caller', text: 'Hello' },
        { role: 'agent', text: '' },
        { role: 'agent', text: 'Hi there' },
      ]),
    ).toEqual([
      { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } },
      { type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there' }] } },
    ]);
  });
});

describe('model shutdown warnings', () => {
  const before = new Date('2026-12-01T12:00:00Z');
  const warnings = (env: NodeJS.ProcessEnv, today = before) => shutdownWarnings(loadConfig({ OPENAI_API_KEY: 'k', ...env }), today);

  it('says nothing about the default models', () => {
    expect(warnings({})).toEqual([]);
    expect(warnings({ OPENAI_REALTIME_MODEL: 'gpt-realtime-2.1-mini', TRANSCRIPTION_MODEL: '' })).toEqual([]);
  });

  it('warns about a model with a shutdown date, naming the setting to change and the successor', () => {
    expect(warnings({ OPENAI_REALTIME_MODEL: 'gpt-realtime', TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe' })).toEqual([
      { level: 'warn', message: 'model gpt-realtime shuts down on 2027-01-20; set OPENAI_REALTIME_MODEL=gpt-realtime-2.1' },
      { level: 'warn', message: 'model gpt-4o-mini-transcribe shuts down on 2027-02-26; set TRANSCRIPTION_MODEL=gpt-realtime-whisper' },
    ]);
    expect(warnings({ OPENAI_REALTIME_MODEL: 'gpt-realtime-mini-2025-12-15' })).toEqual([
      {
        level: 'warn',
        message: 'model gpt-realtime-mini-2025-12-15 shuts down on 2027-01-20; set OPENAI_REALTIME_MODEL=gpt-realtime-2.1-mini',
      },
    ]);
    for (const model of ['gpt-realtime-2025-08-28', 'gpt-4o-realtime-preview-2025-06-03', 'gpt-audio-1.5', 'gpt-4o-audio-preview']) {
      expect(warnings({ OPENAI_REALTIME_MODEL: model })).toEqual([expect.objectContaining({ level: 'warn' })]);
    }
    for (const model of ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-transcribe-diarize', 'gpt-4o-mini-transcribe-2025-12-15']) {
      expect(warnings({ TRANSCRIPTION_MODEL: model })).toEqual([expect.objectContaining({ level: 'warn' })]);
    }
  });

  it('turns the warning into an error from the shutdown day on', () => {
    expect(warnings({ OPENAI_REALTIME_MODEL: 'gpt-realtime' }, new Date('2027-01-19T23:59:59Z'))[0]?.level).toBe('warn');
    expect(warnings({ OPENAI_REALTIME_MODEL: 'gpt-realtime' }, new Date('2027-01-20T00:00:00Z'))).toEqual([
      { level: 'error', message: 'model gpt-realtime shut down on 2027-01-20; set OPENAI_REALTIME_MODEL=gpt-realtime-2.1' },
    ]);
  });
});
