import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Persona } from '../config';

/** The persona of a call we place: a persona file, the greeting and what the agent should know about the call. */

/** A persona file larger than this is not a persona. */
const MAX_PERSONA_BYTES = 64 * 1024;

export type PersonaFile = { ok: true; name: string; instructions: string; file: string } | { ok: false; reason: string };

/**
 * Reads `requested` (a path relative to the working directory, such as `personas/receptionist.md`), which must be
 * a file inside `personasDir`: no `..`, absolute path or symbolic link takes the API to any other file.
 */
export function readPersonaFile(personasDir: string, requested: string, cwd = process.cwd()): PersonaFile {
  const refusal: PersonaFile = { ok: false, reason: `"persona" must be a file in ${personasDir}/, e.g. ${personasDir}/receptionist.md (got "${requested}")` };
  const root = path.resolve(cwd, personasDir);
  if (!isInside(root, path.resolve(cwd, requested))) return refusal;
  let real: string;
  try {
    real = realpathSync(path.resolve(cwd, requested));
    if (!isInside(realpathSync(root), real) || !statSync(real).isFile()) return refusal;
  } catch {
    return { ok: false, reason: `"persona": there is no file ${requested}` };
  }
  if (statSync(real).size > MAX_PERSONA_BYTES) return { ok: false, reason: `"persona": ${requested} is larger than ${MAX_PERSONA_BYTES / 1024} KiB` };
  const instructions = readFileSync(real, 'utf8').trim();
  if (!instructions) return { ok: false, reason: `"persona": ${requested} is empty` };
  return { ok: true, name: path.basename(real, path.extname(real)), instructions, file: path.relative(cwd, real) };
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export interface PlacedCallBrief {
  /** From a persona file; the configured persona's otherwise. */
  persona?: { name: string; instructions: string; file: string };
  /** The agent's first words; none: it waits for whoever answers to speak first. */
  greeting?: string;
  /** What the agent should know about this call, in its instructions. */
  context?: string;
}

/** The persona a placed call speaks as: the configured voice and language, its own instructions and greeting. */
export function placedCallPersona(base: Persona, brief: PlacedCallBrief): Persona {
  const instructions = [
    brief.persona?.instructions ?? base.instructions,
    'You placed this phone call: the person who answers did not call you. Say who you are and why you are calling.',
    ...(brief.context ? [`About this call: ${brief.context}`] : []),
  ].join('\n\n');
  return {
    ...base,
    name: brief.persona?.name ?? base.name,
    instructions,
    instructionsFrom: brief.persona?.file ?? base.instructionsFrom,
    greeting: brief.greeting ?? '',
  };
}

/** What the agent says to an answering machine when the call does not name a message: built from its greeting. */
export function defaultMachineMessage(persona: Persona): string {
  const greeting = persona.greeting.trim();
  const opening = !greeting ? 'Hello.' : /[.!?]$/.test(greeting) ? greeting : `${greeting}.`;
  return `${opening} Sorry we missed you. We will try again later. Goodbye.`;
}
