import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { problemsOf } from './support/configProblems';

const minimal = { OPENAI_API_KEY: 'sk-test' };
const twilio = {
  PUBLIC_URL: 'https://agent.example.test/',
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'token',
};


describe('loadConfig', () => {
  it('needs only OPENAI_API_KEY and defaults everything else', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      port: 3000,
      twilio: undefined,
      openai: { apiKey: 'sk-test', baseURL: undefined, model: 'gpt-realtime-2.1' },
      reasoning: { effort: 'low' },
      persona: { voice: 'marin', greeting: expect.stringMatching(/\w/) },
      audioMode: 'pcm16',
      silenceBatchMs: 100,
      vad: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceMs: 500 },
      transcription: { model: 'gpt-realtime-whisper', language: undefined, delay: undefined },
      log: { level: 'info', format: 'pretty' },
    });
    expect(config.persona).toMatchObject({ instructionsFrom: 'default', language: undefined });
    expect(config.persona.instructions).toMatch(/receptionist/);
  });

  it('takes an agent language, which is also the transcription language unless TRANSCRIPTION_LANGUAGE overrides it', () => {
    const spanish = loadConfig({ ...minimal, AGENT_LANGUAGE: ' es ' });
    expect(spanish.persona.language).toEqual({ code: 'es', name: 'Spanish' });
    expect(spanish.transcription.language).toBe('es');
    expect(loadConfig({ ...minimal, AGENT_LANGUAGE: 'es', TRANSCRIPTION_LANGUAGE: 'en' }).transcription.language).toBe('en');
    expect(loadConfig({ ...minimal, TRANSCRIPTION_LANGUAGE: 'de' })).toMatchObject({
      persona: { language: undefined },
      transcription: { language: 'de' },
    });
    for (const code of ['ES', 'spa', 'es-MX', 'x', 'zz']) {
      expect(problemsOf({ ...minimal, AGENT_LANGUAGE: code })).toEqual([
        'AGENT_LANGUAGE must be a two-letter ISO-639-1 language code, e.g. en, es, de or fr',
      ]);
    }
  });

  it('chooses server or semantic turn detection, with an eagerness only for semantic_vad', () => {
    expect(loadConfig({ ...minimal, TURN_DETECTION: 'server_vad', VAD_SILENCE_MS: '700', VAD_EAGERNESS: '' }).vad).toEqual({
      type: 'server_vad',
      threshold: 0.5,
      prefixPaddingMs: 300,
      silenceMs: 700,
    });
    expect(loadConfig({ ...minimal, TURN_DETECTION: 'semantic_vad' }).vad).toEqual({ type: 'semantic_vad', eagerness: 'auto' });
    // The server_vad settings of a copied .env.example do not stand in the way.
    expect(loadConfig({ ...minimal, TURN_DETECTION: 'semantic_vad', VAD_EAGERNESS: 'low', VAD_SILENCE_MS: '500' }).vad).toEqual({
      type: 'semantic_vad',
      eagerness: 'low',
    });
    expect(problemsOf({ ...minimal, VAD_EAGERNESS: 'high' })).toEqual([
      'VAD_EAGERNESS works only with TURN_DETECTION=semantic_vad: unset one of them',
    ]);
    expect(problemsOf({ ...minimal, TURN_DETECTION: 'push_to_talk', VAD_EAGERNESS: 'eager' })).toEqual([
      'TURN_DETECTION must be one of: server_vad, semantic_vad',
      'VAD_EAGERNESS must be one of: low, medium, high, auto',
    ]);
  });

  it('names a missing API key', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^OPENAI_API_KEY is required/)]);
    expect(problemsOf({ OPENAI_API_KEY: '  ' })).toEqual([expect.stringMatching(/^OPENAI_API_KEY/)]);
  });

  it('names each invalid setting and what it expects', () => {
    const problems = problemsOf({ ...minimal, PORT: 'eighty', AUDIO_MODE: 'mp3', VAD_THRESHOLD: '2', PUBLIC_URL: 'http://x.test', CALLER_SILENCE_BATCH_MS: '10' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT must be a number/),
        expect.stringMatching(/^AUDIO_MODE must be one of: pcm16, hybrid, passthrough/),
        expect.stringMatching(/^VAD_THRESHOLD must be at most 1/),
        expect.stringMatching(/^CALLER_SILENCE_BATCH_MS must be at least 20/),
        expect.stringMatching(/^PUBLIC_URL must be an https:\/\/ URL/),
      ]),
    );
  });

  it('accepts only the voices, transcription models, reasoning efforts and delays the API knows, listing them', () => {
    const problems = problemsOf({
      ...minimal,
      AGENT_VOICE: 'marine',
      TRANSCRIPTION_MODEL: 'gpt-4o-transcribe-2',
      REASONING_EFFORT: 'max',
      TRANSCRIPTION_DELAY: 'none',
    });
    expect(problems).toEqual([
      'REASONING_EFFORT must be one of: minimal, low, medium, high, xhigh',
      'AGENT_VOICE must be one of: alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar',
      'TRANSCRIPTION_MODEL must be one of: whisper-1, gpt-4o-mini-transcribe, gpt-4o-mini-transcribe-2025-12-15, ' +
        'gpt-4o-transcribe, gpt-4o-transcribe-diarize, gpt-realtime-whisper, (empty)',
      'TRANSCRIPTION_DELAY must be one of: minimal, low, medium, high, xhigh',
    ]);
    const valid = loadConfig({ ...minimal, AGENT_VOICE: ' cedar ', TRANSCRIPTION_MODEL: 'gpt-4o-transcribe', REASONING_EFFORT: 'minimal' });
    expect(valid).toMatchObject({ persona: { voice: 'cedar' }, transcription: { model: 'gpt-4o-transcribe' }, reasoning: { effort: 'minimal' } });
    expect(loadConfig({ ...minimal, TRANSCRIPTION_MODEL: ' ' }).transcription.model).toBe('');
  });

  it('sets a reasoning effort only for the models that take one, dated snapshots included', () => {
    for (const model of ['gpt-realtime-2', 'gpt-realtime-2.1', 'gpt-realtime-2.1-mini', 'gpt-realtime-2.1-2026-09-01']) {
      expect(loadConfig({ ...minimal, OPENAI_REALTIME_MODEL: model, REASONING_EFFORT: 'high' }).reasoning).toEqual({ effort: 'high' });
    }
    for (const model of ['gpt-realtime', 'gpt-realtime-2025-08-28', 'gpt-realtime-1.5', 'gpt-realtime-mini', 'my-model']) {
      expect(loadConfig({ ...minimal, OPENAI_REALTIME_MODEL: model, REASONING_EFFORT: 'high' }).reasoning).toBeUndefined();
    }
  });

  it('takes a transcription delay only with gpt-realtime-whisper', () => {
    expect(loadConfig({ ...minimal, TRANSCRIPTION_DELAY: 'medium' }).transcription).toMatchObject({
      model: 'gpt-realtime-whisper',
      delay: 'medium',
    });
    for (const model of ['gpt-4o-mini-transcribe', '']) {
      expect(problemsOf({ ...minimal, TRANSCRIPTION_MODEL: model, TRANSCRIPTION_DELAY: 'low' })).toEqual([
        expect.stringMatching(/^TRANSCRIPTION_DELAY works only with TRANSCRIPTION_MODEL=gpt-realtime-whisper/),
      ]);
    }
  });

  it('enables Twilio only with all three settings, and refuses a partial set', () => {
    expect(loadConfig({ ...minimal, ...twilio }).twilio).toEqual({
      publicUrl: 'https://agent.example.test',
      accountSid: twilio.TWILIO_ACCOUNT_SID,
      authToken: 'token',
      skipSignatureCheck: false,
    });
    expect(problemsOf({ ...minimal, PUBLIC_URL: twilio.PUBLIC_URL })).toEqual([
      expect.stringMatching(/TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN must be set too/),
    ]);
    expect(problemsOf({ ...minimal, ...twilio, TWILIO_ACCOUNT_SID: 'AC1' })).toEqual([
      expect.stringMatching(/^TWILIO_ACCOUNT_SID must look like AC/),
    ]);
  });

  it('takes a caller ID and the destination prefixes for placed calls', () => {
    expect(loadConfig(minimal).outbound).toEqual({ from: undefined, allowedPrefixes: undefined, personasDir: 'personas', connectTimeoutMs: 120_000 });
    expect(loadConfig({ ...minimal, OUTBOUND_FROM: ' +14155550100 ', OUTBOUND_ALLOWED_PREFIXES: '+1415, +1650,,+44' }).outbound).toMatchObject({
      from: '+14155550100',
      allowedPrefixes: ['+1415', '+1650', '+44'],
    });
    expect(problemsOf({ ...minimal, OUTBOUND_FROM: '415-555-0100', OUTBOUND_ALLOWED_PREFIXES: '+1,44' })).toEqual([
      'OUTBOUND_FROM must be a phone number in E.164 form, e.g. +14155550123',
      'OUTBOUND_ALLOWED_PREFIXES must be number prefixes such as +1,+44 or +1415 (not 44)',
    ]);
  });

  it('treats an empty greeting as "wait for the caller"', () => {
    expect(loadConfig({ ...minimal, AGENT_GREETING: '' }).persona.greeting).toBe('');
    expect(loadConfig({ ...minimal, AGENT_GREETING: ' Hi there. ' }).persona.greeting).toBe('Hi there.');
  });

  it('reads the persona from a file, which wins over AGENT_INSTRUCTIONS', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'persona-')), 'persona.md');
    writeFileSync(file, 'You are Ada, the dentist office assistant.\n');
    const config = loadConfig({ ...minimal, AGENT_INSTRUCTIONS: 'ignored', AGENT_INSTRUCTIONS_FILE: file });
    expect(config.persona.instructions).toBe('You are Ada, the dentist office assistant.');
    expect(config.persona.instructionsFrom).toBe(file);
    expect(loadConfig({ ...minimal, AGENT_INSTRUCTIONS: 'You are Ada.' }).persona.instructionsFrom).toBe('AGENT_INSTRUCTIONS');
    expect(problemsOf({ ...minimal, AGENT_INSTRUCTIONS_FILE: '/nope/persona.md' })).toEqual([
      expect.stringMatching(/^AGENT_INSTRUCTIONS_FILE cannot be read/),
    ]);
  });

  it('defaults limits and storage, and reads a price table file', () => {
    const config = loadConfig(minimal);
    expect(config.limits).toEqual({
      maxCallMs: 1_800_000,
      idleTimeoutMs: 30_000,
      maxConcurrentCalls: 20,
      drainTimeoutMs: 30_000,
      drainNoticeMs: 0,
      streamStartTimeoutMs: 5_000,
      keepAliveMs: 10_000,
      modelReadyTimeoutMs: 5_000,
      firstWordsTimeoutMs: 8_000,
      earlyModelSession: true,
    });
    expect(config.store).toEqual({
      databasePath: 'data/calls.db',
      databaseUrl: undefined,
      poolSize: 10,
      connectTimeoutMs: 10_000,
      recordingsDir: join('data', 'recordings'),
      recordCalls: false,
      retentionDays: 0,
      prices: {},
    });
    expect(loadConfig({ ...minimal, DATABASE_PATH: '/var/lib/agent/calls.db' }).store.recordingsDir).toBe('/var/lib/agent/recordings');
    const shared = loadConfig({ ...minimal, DATABASE_URL: 'postgres://agent:secret@db:5432/calls', DATABASE_POOL_SIZE: '4', RECORDINGS_DIR: '/mnt/recordings' });
    expect(shared.store).toMatchObject({ databaseUrl: 'postgres://agent:secret@db:5432/calls', poolSize: 4, recordingsDir: '/mnt/recordings' });
    expect(loadConfig({ ...minimal, DATABASE_URL: 'postgresql://db/calls' }).store.databaseUrl).toBe('postgresql://db/calls');
    expect(problemsOf({ ...minimal, DATABASE_URL: 'mysql://root:secret@db/calls' })).toEqual(['DATABASE_URL must be a postgres:// URL, e.g. postgres://agent:secret@db.internal:5432/calls']);
    expect(problemsOf({ ...minimal, DATABASE_POOL_SIZE: '0' })).toEqual(['DATABASE_POOL_SIZE must be at least 1']);
    expect(config.adminToken).toBeUndefined();
    const file = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
    const prices = { 'my-model': { audioIn: 1, audioInCached: 0.1, textIn: 1, textInCached: 0.1, audioOut: 2, textOut: 2 } };
    writeFileSync(file, JSON.stringify(prices));
    expect(loadConfig({ ...minimal, PRICES_FILE: file }).store.prices).toEqual(prices);
    writeFileSync(file, JSON.stringify({ 'my-model': { audioIn: -1 } }));
    expect(problemsOf({ ...minimal, PRICES_FILE: file })).toEqual([expect.stringMatching(/^PRICES_FILE .*my-model\.audioIn must be at least 0/)]);
    expect(problemsOf({ ...minimal, RECORD_CALLS: 'maybe' })).toEqual([expect.stringMatching(/^RECORD_CALLS must be/)]);
  });

  it('refuses to skip Twilio signature checks in production', () => {
    const local = { ...twilio, PUBLIC_URL: 'https://localhost:3000' };
    expect(loadConfig({ ...minimal, ...local, TWILIO_SKIP_SIGNATURE_CHECK: 'true' }).twilio?.skipSignatureCheck).toBe(true);
    expect(problemsOf({ ...minimal, ...local, TWILIO_SKIP_SIGNATURE_CHECK: 'true', NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^TWILIO_SKIP_SIGNATURE_CHECK cannot be true when NODE_ENV=production/),
    ]);
  });

  it('skips Twilio signature checks only without PUBLIC_URL or with a PUBLIC_URL on this machine', () => {
    const skip = { ...minimal, TWILIO_SKIP_SIGNATURE_CHECK: 'true' };
    expect(() => loadConfig(skip)).not.toThrow();
    for (const url of ['https://localhost', 'https://127.0.0.1:8443/agent', 'https://127.1.2.3', 'https://[::1]:3000']) {
      expect(loadConfig({ ...skip, ...twilio, PUBLIC_URL: url }).twilio?.skipSignatureCheck).toBe(true);
    }
    for (const url of ['https://agent.example.test', 'https://10.0.0.5', 'https://localhost.example.test', 'https://[::2]']) {
      expect(problemsOf({ ...skip, ...twilio, PUBLIC_URL: url })).toEqual([
        expect.stringMatching(/^TWILIO_SKIP_SIGNATURE_CHECK can be true only when PUBLIC_URL is unset or on this machine/),
      ]);
    }
    expect(loadConfig({ ...minimal, ...twilio, TWILIO_SKIP_SIGNATURE_CHECK: 'false' }).twilio?.skipSignatureCheck).toBe(false);
  });

  it('sends the API key over http only to this machine', () => {
    expect(loadConfig({ ...minimal, OPENAI_BASE_URL: 'https://llm.example.test/v1' }).openai.baseURL).toBe('https://llm.example.test/v1');
    for (const url of ['http://localhost:8080/v1', 'http://127.0.0.1:8080/v1', 'http://[::1]/v1']) {
      expect(loadConfig({ ...minimal, OPENAI_BASE_URL: url }).openai.baseURL).toBe(url);
    }
    for (const url of ['http://llm.example.test/v1', 'http://192.168.1.20:8080/v1', 'ws://localhost/v1']) {
      expect(problemsOf({ ...minimal, OPENAI_BASE_URL: url })).toEqual([expect.stringMatching(/^OPENAI_BASE_URL must be https:\/\//)]);
    }
    expect(problemsOf({ ...minimal, OPENAI_BASE_URL: 'api.openai.com' })).toEqual([
      expect.stringMatching(/^OPENAI_BASE_URL must be a URL such as https:/),
    ]);
  });

  it('believes the client address a proxy forwards only from the proxies TRUST_PROXY names', () => {
    expect(loadConfig(minimal).trustProxy).toBe('loopback');
    expect(loadConfig({ ...minimal, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...minimal, TRUST_PROXY: 'loopback,uniquelocal , 203.0.113.7, 10.0.0.0/8, fd00::/8' }).trustProxy).toBe(
      'loopback, uniquelocal, 203.0.113.7, 10.0.0.0/8, fd00::/8',
    );
    for (const wrong of ['everyone', '10.0.0.0/33', '10.0.0/8', 'loopback, proxy.example']) {
      expect(problemsOf({ ...minimal, TRUST_PROXY: wrong })).toEqual([expect.stringMatching(/^TRUST_PROXY .*number of proxy hops/)]);
    }
  });

  it('logs JSON in production', () => {
    expect(loadConfig({ ...minimal, NODE_ENV: 'production' }).log.format).toBe('json');
    expect(loadConfig({ ...minimal, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).log.format).toBe('pretty');
  });
});
