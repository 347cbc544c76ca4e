import { readdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { describePersona } from '../src/persona';

const ROOT = path.join(__dirname, '..');

describe('the shipped personas', () => {
  const files = readdirSync(path.join(ROOT, 'personas')).filter((f) => f.endsWith('.md')).sort();

  it('are the three examples the docs describe', () => {
    expect(files).toEqual(['appointment-booking.md', 'receptionist.md', 'support-triage.md']);
  });

  it.each(files)('%s loads as the instructions, and stays short enough for every call', (file) => {
    // As a .env names it, relative to the working directory (jest runs at the repository's root).
    const config = loadConfig({ OPENAI_API_KEY: 'sk-x', AGENT_INSTRUCTIONS_FILE: `personas/${file}` });
    const { instructions } = config.persona;
    expect(describePersona(config)).toMatchObject({ instructionsFrom: `personas/${file}`, instructionsLength: instructions.length });
    expect(instructions.length).toBeGreaterThan(500);
    expect(instructions.length).toBeLessThan(6_000);
    // Written for a phone: the caller is told goodbye and can reach a person.
    expect(instructions).toContain('end_call');
    expect(instructions).toContain('transfer_call');
    expect(instructions).not.toMatch(/https?:\/\//);
  });
});

describe('describePersona', () => {
  it('describes the defaults: greeting first, server VAD, where the instructions came from', () => {
    expect(describePersona(loadConfig({ OPENAI_API_KEY: 'sk-secret-key' }))).toEqual({
      name: 'Receptionist',
      voice: 'marin',
      language: 'not set',
      greeting: 'Hello! Thanks for calling. How can I help you today?',
      turnDetection: 'server_vad, threshold 0.5, prefix padding 300 ms, silence 500 ms',
      model: 'gpt-realtime-2.1',
      reasoningEffort: 'low',
      transcriptionModel: 'gpt-realtime-whisper',
      instructionsFrom: 'default',
      instructionsLength: expect.any(Number),
    });
  });

  it('describes a configured persona, and never a credential', () => {
    const env = {
      OPENAI_API_KEY: 'sk-secret-key',
      PUBLIC_URL: 'https://agent.example.test',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'twilio-secret-token',
      ADMIN_TOKEN: 'admin-secret-token-0123',
      AGENT_NAME: 'Ada, dental receptionist',
      AGENT_VOICE: 'cedar',
      AGENT_LANGUAGE: 'es',
      AGENT_GREETING: '',
      AGENT_INSTRUCTIONS: 'You are Ada.',
      TURN_DETECTION: 'semantic_vad',
      VAD_EAGERNESS: 'low',
      OPENAI_REALTIME_MODEL: 'gpt-realtime-1.5',
      TRANSCRIPTION_MODEL: '',
    };
    const described = describePersona(loadConfig(env));
    expect(described).toEqual({
      name: 'Ada, dental receptionist',
      voice: 'cedar',
      language: 'Spanish (es)',
      greeting: 'waits for the caller',
      turnDetection: 'semantic_vad, eagerness low',
      model: 'gpt-realtime-1.5',
      reasoningEffort: 'not used by this model',
      transcriptionModel: 'off',
      instructionsFrom: 'AGENT_INSTRUCTIONS',
      instructionsLength: 'You are Ada.'.length,
    });
    expect(JSON.stringify(described)).not.toMatch(/secret/);
  });
});
