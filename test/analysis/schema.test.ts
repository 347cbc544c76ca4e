import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_FIELDS_SCHEMA, responseSchema, schemaViolations, strictSchemaProblems } from '../../src/analysis';
import { ConfigError, loadConfig } from '../../src/config';

const example = JSON.parse(readFileSync(path.join(__dirname, '../../examples/analysis-schema.json'), 'utf8'));

describe('the fields schema, as strict structured outputs take it', () => {
  it('takes the default fields and the example file, with $defs and references', () => {
    expect(strictSchemaProblems(DEFAULT_FIELDS_SCHEMA)).toEqual([]);
    expect(strictSchemaProblems(example)).toEqual([]);
    const withDefs = {
      type: 'object',
      properties: { caller: { $ref: '#/$defs/person' }, others: { type: 'array', items: { $ref: '#/$defs/person' }, maxItems: 5 } },
      required: ['caller', 'others'],
      additionalProperties: false,
      $defs: { person: { type: 'object', properties: { name: { type: ['string', 'null'] } }, required: ['name'], additionalProperties: false } },
    };
    expect(strictSchemaProblems(withDefs)).toEqual([]);
    expect(responseSchema(withDefs)).toMatchObject({ required: ['summary', 'fields'], $defs: withDefs.$defs });
  });

  it('says what strict mode would refuse, and where', () => {
    expect(strictSchemaProblems([])).toEqual(['must be a JSON object (a JSON Schema)']);
    expect(strictSchemaProblems({ type: 'string' })).toEqual(['the root must have "type": "object"']);
    expect(
      strictSchemaProblems({
        type: 'object',
        properties: { reason: { type: 'string', minLength: 3 }, when: { type: 'string' }, kind: { oneOf: [] }, who: { $ref: '#/definitions/x' } },
        required: ['reason', 'kind', 'who'],
      }),
    ).toEqual([
      '$ must have "additionalProperties": false',
      '$.required must list every property (missing: when); make a field optional with "type": ["string", "null"]',
      '$.properties.reason.minLength is not supported by strict structured outputs',
      '$.properties.kind.type must be one of string, number, integer, boolean, object, array, null (or a list of them)',
      '$.properties.who.$ref "#/definitions/x" must point to #/$defs/<name> of this file',
    ]);
  });
});

describe('an answer checked against its schema', () => {
  const schema = responseSchema(example);

  it('passes a valid answer, nulls where allowed', () => {
    const fields = { reason: 'cleaning', appointment_booked: false, appointment_time: null, follow_up_needed: true, follow_up_note: 'call back', sentiment: 'neutral' };
    expect(schemaViolations(schema, { summary: 'x', fields })).toEqual([]);
  });

  it('names what is wrong: a missing field, a wrong type, a value outside the enum, an extra field', () => {
    const fields = { reason: 3, appointment_booked: false, appointment_time: null, follow_up_needed: true, sentiment: 'angry', mood: 'x' };
    expect(schemaViolations(schema, { summary: 'x', fields })).toEqual([
      '$.fields.follow_up_note: missing',
      '$.fields.reason: must be string, not number 3',
      '$.fields.sentiment: must be one of "positive", "neutral", "negative"',
      '$.fields.mood: not in the schema',
    ]);
    expect(schemaViolations(schema, 'text')).toEqual(['$: must be object, not string "text"']);
  });
});

describe('analysis and webhook settings', () => {
  const base = { OPENAI_API_KEY: 'sk-test-key-0123456789' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  it('are off by default, and on with the model or the URL and secret', () => {
    const off = loadConfig(base);
    expect([off.analysis, off.webhooks]).toEqual([undefined, undefined]);
    const on = loadConfig({ ...base, ANALYSIS_MODEL: 'gpt-4.1-mini-2025-04-14', WEBHOOK_URL: 'https://hooks.example.com/calls', WEBHOOK_SECRET: secret });
    expect(on.analysis).toEqual({ model: 'gpt-4.1-mini-2025-04-14', fieldsSchema: DEFAULT_FIELDS_SCHEMA, timeoutMs: 60_000, maxAttempts: 4, prices: { input: 0.4, cachedInput: 0.1, output: 1.6 } });
    expect(on.webhooks).toEqual({ url: 'https://hooks.example.com/calls', secret, includeTranscript: false, timeoutMs: 10_000 });
    expect(loadConfig({ ...base, ANALYSIS_MODEL: 'my-model', ANALYSIS_INPUT_USD_PER_1M: '1', ANALYSIS_CACHED_INPUT_USD_PER_1M: '0.5', ANALYSIS_OUTPUT_USD_PER_1M: '4' }).analysis?.prices).toEqual({ input: 1, cachedInput: 0.5, output: 4 });
    expect(loadConfig({ ...base, ANALYSIS_MODEL: 'my-model' }).analysis?.prices).toBeUndefined();
  });

  it('read the operator schema file, and stop the start naming ANALYSIS_SCHEMA_FILE when it is unusable', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schema-'));
    try {
      const good = path.join(dir, 'good.json');
      writeFileSync(good, JSON.stringify(example));
      expect(loadConfig({ ...base, ANALYSIS_MODEL: 'gpt-5-mini', ANALYSIS_SCHEMA_FILE: good }).analysis?.fieldsSchema).toEqual(example);
      const loose = path.join(dir, 'loose.json');
      writeFileSync(loose, JSON.stringify({ type: 'object', properties: { reason: { type: 'string' } } }));
      expect(problems({ ANALYSIS_MODEL: 'gpt-5-mini', ANALYSIS_SCHEMA_FILE: loose })).toEqual([
        `ANALYSIS_SCHEMA_FILE ${loose} is not a schema strict structured outputs take: $ must have "additionalProperties": false; $.required must list every property (missing: reason); make a field optional with "type": ["string", "null"]`,
      ]);
      const broken = path.join(dir, 'broken.json');
      writeFileSync(broken, '{ "type": ');
      expect(problems({ ANALYSIS_MODEL: 'gpt-5-mini', ANALYSIS_SCHEMA_FILE: broken })[0]).toMatch(/^ANALYSIS_SCHEMA_FILE cannot be read as JSON: /);
      expect(problems({ ANALYSIS_MODEL: 'gpt-5-mini', ANALYSIS_SCHEMA_FILE: path.join(dir, 'missing.json') })[0]).toMatch(/^ANALYSIS_SCHEMA_FILE cannot be read as JSON: ENOENT/);
      expect(problems({ ANALYSIS_SCHEMA_FILE: good })).toEqual(['ANALYSIS_SCHEMA_FILE works only with ANALYSIS_MODEL: set it (e.g. gpt-4.1-mini) or unset them']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuse a webhook URL, secret or price they cannot use, naming the variable', () => {
    expect(problems({ WEBHOOK_URL: 'http://hooks.example.com/calls', WEBHOOK_SECRET: secret })).toEqual([
      'WEBHOOK_URL must be https:// (http:// only on this machine): the events carry call records',
    ]);
    expect(problems({ WEBHOOK_URL: 'http://127.0.0.1:9000/hooks', WEBHOOK_SECRET: secret })).toEqual([]);
    expect(problems({ WEBHOOK_URL: 'https://hooks.example.com' })).toEqual([expect.stringMatching(/^WEBHOOK_URL needs WEBHOOK_SECRET/)]);
    expect(problems({ WEBHOOK_SECRET: secret })).toEqual(['WEBHOOK_SECRET needs WEBHOOK_URL: where to send the events']);
    expect(problems({ WEBHOOK_URL: 'https://h.example.com', WEBHOOK_SECRET: 'hunter2hunter2' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET must start with whsec_/)]);
    expect(problems({ WEBHOOK_URL: 'https://h.example.com', WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET must hold a key of 24 to 64 bytes \(this one has 5\)/)]);
    expect(problems({ WEBHOOK_URL: 'https://h.example.com', WEBHOOK_SECRET: 'whsec_not base64!' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET must be whsec_ followed by base64/)]);
    expect(problems({ ANALYSIS_MODEL: 'x', ANALYSIS_OUTPUT_USD_PER_1M: 'lots' })).toEqual(['ANALYSIS_OUTPUT_USD_PER_1M must be a number']);
    expect(problems({ ANALYSIS_MODEL: 'my-model', ANALYSIS_OUTPUT_USD_PER_1M: '2' })).toEqual([expect.stringMatching(/^ANALYSIS_MODEL my-model has no built-in prices: set all of/)]);
  });
});
