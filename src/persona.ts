import type { Config } from './config';

export type PersonaSettings = Pick<Config, 'persona' | 'vad' | 'openai' | 'reasoning' | 'transcription'>;

/** Who answers the phone on this start, for the startup log: settings only, never credentials. */
export function describePersona(config: PersonaSettings) {
  const { persona, vad } = config;
  return {
    name: persona.name,
    voice: persona.voice,
    language: persona.language ? `${persona.language.name} (${persona.language.code})` : 'not set',
    greeting: persona.greeting || 'waits for the caller',
    turnDetection:
      vad.type === 'semantic_vad'
        ? `semantic_vad, eagerness ${vad.eagerness}`
        : `server_vad, threshold ${vad.threshold}, prefix padding ${vad.prefixPaddingMs} ms, silence ${vad.silenceMs} ms`,
    model: config.openai.model,
    reasoningEffort: config.reasoning?.effort ?? 'not used by this model',
    transcriptionModel: config.transcription.model || 'off',
    instructionsFrom: persona.instructionsFrom,
    instructionsLength: persona.instructions.length,
  };
}
