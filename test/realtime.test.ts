import { loadConfig } from '../src/config';
import { greetingResponse, phoneSession, reseedItems } from '../src/realtime';

describe('session settings', () => {
  it('transcodes by default and passes μ-law through on request', () => {
    const pcm = phoneSession(loadConfig({ OPENAI_API_KEY: 'k' }));
    expect(pcm.audio?.input?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(pcm.audio?.output?.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    const pcmu = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', AUDIO_MODE: 'passthrough' }));
    expect(pcmu.audio?.input?.format).toEqual({ type: 'audio/pcmu' });
  });

  it('leaves transcription and noise reduction out when they are off', () => {
    const session = phoneSession(loadConfig({ OPENAI_API_KEY: 'k', TRANSCRIPTION_MODEL: '', NOISE_REDUCTION: 'off' }));
    expect(session.audio?.input).not.toHaveProperty('transcription');
    expect(session.audio?.input).not.toHaveProperty('noise_reduction');
  });

  it('greets with the configured words', () => {
    expect(greetingResponse('Hi, Ada here.').response?.instructions).toContain('"Hi, Ada here."');
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
