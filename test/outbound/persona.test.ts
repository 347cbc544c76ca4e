import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Persona } from '../../src/config';
import { defaultMachineMessage, placedCallPersona, readPersonaFile } from '../../src/outbound/persona';

const BASE: Persona = {
  name: 'Receptionist',
  instructions: 'You are a friendly receptionist.',
  instructionsFrom: 'default',
  voice: 'cedar',
  greeting: 'Hello! Thanks for calling.',
  language: { code: 'en', name: 'English' },
};

describe('the persona of a placed call', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'personas-'));
    mkdirSync(path.join(cwd, 'personas', 'team'), { recursive: true });
    writeFileSync(path.join(cwd, 'personas', 'reminders.md'), '# Who you are\n\nYou are Sam.\n');
    writeFileSync(path.join(cwd, 'personas', 'team', 'billing.md'), 'You are Kim, from billing.');
    writeFileSync(path.join(cwd, 'personas', 'empty.md'), '  \n');
    writeFileSync(path.join(cwd, 'secret.txt'), 'not a persona');
    symlinkSync(path.join(cwd, 'secret.txt'), path.join(cwd, 'personas', 'sneaky.md'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('reads a persona file inside the personas folder, named after the file', () => {
    expect(readPersonaFile('personas', 'personas/reminders.md', cwd)).toEqual({ ok: true, name: 'reminders', instructions: '# Who you are\n\nYou are Sam.', file: path.join('personas', 'reminders.md') });
    expect(readPersonaFile('personas', './personas/team/billing.md', cwd)).toMatchObject({ ok: true, name: 'billing' });
  });

  it('refuses every path that leads out of the folder, or to no file', () => {
    const outside = ['secret.txt', '../secret.txt', 'personas/../secret.txt', path.join(cwd, 'secret.txt'), '/etc/passwd', 'personas', 'personas/', 'personas/sneaky.md', 'personas/team'];
    for (const requested of outside) {
      expect(readPersonaFile('personas', requested, cwd)).toEqual({ ok: false, reason: `"persona" must be a file in personas/, e.g. personas/receptionist.md (got "${requested}")` });
    }
    expect(readPersonaFile('personas', 'personas/missing.md', cwd)).toEqual({ ok: false, reason: '"persona": there is no file personas/missing.md' });
    expect(readPersonaFile('personas', 'personas/empty.md', cwd)).toEqual({ ok: false, reason: '"persona": personas/empty.md is empty' });
  });

  it('speaks as the file with the configured voice, says it placed the call, knows the context and greets as asked', () => {
    const persona = placedCallPersona(BASE, {
      persona: { name: 'reminders', instructions: 'You are Sam.', file: 'personas/reminders.md' },
      greeting: 'Hi, this is Sam.',
      context: 'Remind Maria of Tuesday.',
    });
    expect(persona).toEqual({
      ...BASE,
      name: 'reminders',
      instructionsFrom: 'personas/reminders.md',
      greeting: 'Hi, this is Sam.',
      instructions: 'You are Sam.\n\nYou placed this phone call: the person who answers did not call you. Say who you are and why you are calling.\n\nAbout this call: Remind Maria of Tuesday.',
    });
  });

  it('keeps the configured persona without a file, and waits for whoever answers without a greeting', () => {
    const persona = placedCallPersona(BASE, {});
    expect(persona).toMatchObject({ name: 'Receptionist', greeting: '', voice: 'cedar', instructionsFrom: 'default' });
    expect(persona.instructions).toMatch(/^You are a friendly receptionist\.\n\nYou placed this phone call/);
    expect(persona.instructions).not.toContain('About this call');
  });

  it('builds the answering machine message from the greeting', () => {
    expect(defaultMachineMessage({ ...BASE, greeting: 'Hi, this is Sam from Linden Physiotherapy' })).toBe(
      'Hi, this is Sam from Linden Physiotherapy. Sorry we missed you. We will try again later. Goodbye.',
    );
    expect(defaultMachineMessage({ ...BASE, greeting: 'Hi, this is Sam!' })).toBe('Hi, this is Sam! Sorry we missed you. We will try again later. Goodbye.');
    expect(defaultMachineMessage({ ...BASE, greeting: '' })).toBe('Hello. Sorry we missed you. We will try again later. Goodbye.');
  });
});
