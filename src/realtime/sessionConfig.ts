import type {
  ConversationItemCreateEvent,
  RealtimeAudioFormats,
  RealtimeAudioInputTurnDetection,
  RealtimeFunctionTool,
  RealtimeSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import type { Config, Persona, TurnDetection } from '../config';
import type { SeedTurn } from './conversation';

export type SessionSettings = Pick<Config, 'persona' | 'audioMode' | 'vad' | 'noiseReduction' | 'transcription' | 'reasoning'>;

/**
 * The session.update body for a phone call. In pcm16 mode we transcode (callers' speech is recognised
 * better from PCM16 24 kHz); in passthrough mode Twilio's μ-law goes to the model untouched.
 */
export function phoneSession(settings: SessionSettings, tools: RealtimeFunctionTool[] = []): RealtimeSessionCreateRequest {
  const pcmu: RealtimeAudioFormats = { type: 'audio/pcmu' };
  const pcm: RealtimeAudioFormats = { type: 'audio/pcm', rate: 24000 };
  const inputFormat = settings.audioMode === 'pcm16' ? pcm : pcmu;
  const outputFormat = settings.audioMode === 'passthrough' ? pcmu : pcm;
  const { model, language, delay } = settings.transcription;
  return {
    type: 'realtime',
    instructions: instructionsFor(settings.persona),
    output_modalities: ['audio'],
    ...(settings.reasoning ? { reasoning: settings.reasoning } : {}),
    ...(tools.length > 0 ? { tools, tool_choice: 'auto' } : {}),
    audio: {
      input: {
        format: inputFormat,
        // Both are off unless sent.
        ...(settings.noiseReduction === 'off' ? {} : { noise_reduction: { type: settings.noiseReduction } }),
        ...(model ? { transcription: { model, ...(language ? { language } : {}), ...(delay ? { delay } : {}) } } : {}),
        turn_detection: turnDetection(settings.vad),
      },
      output: { format: outputFormat, voice: settings.persona.voice },
    },
  };
}

/** The persona's instructions, with the language to speak when one is set. */
function instructionsFor(persona: Persona): string {
  const { instructions, language } = persona;
  if (!language) return instructions;
  return `${instructions}\n\nSpeak ${language.name} (${language.code}) unless the caller clearly prefers another language.`;
}

function turnDetection(vad: TurnDetection): RealtimeAudioInputTurnDetection {
  // The model answers when the caller stops, and cancels its own response when the caller talks over it (we
  // clear Twilio and truncate): the call depends on both, whichever detector decides the turn.
  const always = { create_response: true, interrupt_response: true };
  if (vad.type === 'semantic_vad') return { type: 'semantic_vad', eagerness: vad.eagerness, ...always };
  return {
    type: 'server_vad',
    threshold: vad.threshold,
    prefix_padding_ms: vad.prefixPaddingMs,
    silence_duration_ms: vad.silenceMs,
    ...always,
  };
}

/** Instructions for the response that opens the call with the configured greeting. */
export function greetingInstructions(greeting: string): string {
  return `Greet the caller now by saying exactly this, and nothing more: "${greeting}"`;
}

/**
 * The conversation so far, as items for a fresh session: text, since the old session's audio is gone, and the
 * tool calls with their outputs, which the model must not repeat.
 */
export function reseedItems(turns: readonly SeedTurn[]): ConversationItemCreateEvent[] {
  return turns.flatMap((turn): ConversationItemCreateEvent[] => {
    if (turn.role === 'tool') {
      return [
        { type: 'conversation.item.create', item: { type: 'function_call', call_id: turn.callId, name: turn.name, arguments: turn.arguments } },
        { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: turn.callId, output: turn.output } },
      ];
    }
    if (turn.text.trim() === '') return [];
    const item: ConversationItemCreateEvent['item'] =
      turn.role === 'caller'
        ? { type: 'message', role: 'user', content: [{ type: 'input_text', text: turn.text }] }
        : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: turn.text }] };
    return [{ type: 'conversation.item.create', item }];
  });
}
