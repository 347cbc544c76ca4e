/**
 * The fields an operator wants from each call, as a JSON Schema the model's structured output must follow. With
 * `strict: true` the API takes only a subset of JSON Schema; `strictSchemaProblems` checks a schema against it at
 * startup, so a schema the API would refuse stops the start instead of failing every analysis.
 */

export type JsonSchema = Record<string, unknown>;

/** Used without ANALYSIS_SCHEMA_FILE. */
export const DEFAULT_FIELDS_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    reason: { type: 'string', description: 'Why the caller called, in a few words' },
    resolved: { type: 'boolean', description: 'Whether what the caller wanted was done during the call' },
    follow_up_needed: { type: 'boolean', description: 'Whether someone has to get back to the caller' },
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'], description: "The caller's mood by the end of the call" },
  },
  required: ['reason', 'resolved', 'follow_up_needed', 'sentiment'],
  additionalProperties: false,
};

/** What the model returns: a short summary, and the operator's fields. */
export function responseSchema(fields: JsonSchema): JsonSchema {
  const { $defs, ...rest } = fields;
  return {
    type: 'object',
    properties: {
      summary: { type: 'string', description: 'What happened on the call, in two or three sentences' },
      fields: rest,
    },
    required: ['summary', 'fields'],
    additionalProperties: false,
    // Definitions must be at the root for `#/$defs/…` references to resolve.
    ...($defs === undefined ? {} : { $defs }),
  };
}

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/** Keywords strict mode takes, by what they apply to. */
const COMMON = new Set(['type', 'description', 'title', 'enum', 'const', 'anyOf', '$ref', '$defs']);
const BY_TYPE: Record<string, Set<string>> = {
  object: new Set(['properties', 'required', 'additionalProperties']),
  array: new Set(['items', 'minItems', 'maxItems']),
  string: new Set(['pattern', 'format']),
  number: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  integer: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
};
const FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
const MAX_DEPTH = 10;
const MAX_PROPERTIES = 5000;

/**
 * Why strict structured outputs would refuse `schema` as the fields' schema (empty when it is fine): the root an
 * object; every object with `additionalProperties: false` and all its properties required; only the keywords strict
 * mode supports; references only to `#/$defs/…`; at most 10 levels of nesting.
 */
export function strictSchemaProblems(schema: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(schema)) return ['must be a JSON object (a JSON Schema)'];
  if (schema.type !== 'object') problems.push('the root must have "type": "object"');
  const defs = schema.$defs;
  if (defs !== undefined && !isObject(defs)) problems.push('$defs must be an object of schemas');
  const defNames = new Set(isObject(defs) ? Object.keys(defs) : []);
  let properties = 0;

  const visit = (node: unknown, path: string, depth: number): void => {
    if (problems.length >= 10) return;
    if (!isObject(node)) return void problems.push(`${path} must be a schema (an object)`);
    if (depth > MAX_DEPTH) return void problems.push(`${path} is nested deeper than ${MAX_DEPTH} levels`);
    if (typeof node.$ref === 'string') {
      const name = /^#\/\$defs\/([^/]+)$/.exec(node.$ref)?.[1];
      if (node.$ref !== '#' && (!name || !defNames.has(name))) problems.push(`${path}.$ref "${node.$ref}" must point to #/$defs/<name> of this file`);
      return;
    }
    if (Array.isArray(node.anyOf)) {
      node.anyOf.forEach((branch, i) => visit(branch, `${path}.anyOf[${i}]`, depth + 1));
      return;
    }
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (node.enum === undefined && node.const === undefined && (types.length === 0 || types.some((t) => typeof t !== 'string' || !TYPES.has(t)))) {
      return void problems.push(`${path}.type must be one of ${[...TYPES].join(', ')} (or a list of them)`);
    }
    const allowed = new Set([...COMMON, ...types.flatMap((t) => [...(BY_TYPE[String(t)] ?? [])])]);
    for (const key of Object.keys(node)) {
      if (!allowed.has(key)) problems.push(`${path}.${key} is not supported by strict structured outputs`);
    }
    if (node.enum !== undefined && (!Array.isArray(node.enum) || node.enum.length === 0)) problems.push(`${path}.enum must be a non-empty list`);
    if (typeof node.format === 'string' && !FORMATS.has(node.format)) problems.push(`${path}.format must be one of ${[...FORMATS].join(', ')}`);
    if (types.includes('object')) {
      const props = node.properties;
      if (!isObject(props)) return void problems.push(`${path}.properties must list the object's fields`);
      if (node.additionalProperties !== false) problems.push(`${path} must have "additionalProperties": false`);
      const required = Array.isArray(node.required) ? node.required : [];
      const missing = Object.keys(props).filter((name) => !required.includes(name));
      if (missing.length > 0) problems.push(`${path}.required must list every property (missing: ${missing.join(', ')}); make a field optional with "type": ["string", "null"]`);
      for (const [name, child] of Object.entries(props)) {
        properties++;
        visit(child, `${path}.properties.${name}`, depth + 1);
      }
    }
    if (types.includes('array')) {
      if (node.items === undefined) problems.push(`${path}.items must describe the array's items`);
      else visit(node.items, `${path}.items`, depth + 1);
    }
  };

  const { $defs: _defs, ...root } = schema;
  visit(root, '$', 1);
  if (isObject(defs)) for (const [name, def] of Object.entries(defs)) visit(def, `$defs.${name}`, 2);
  if (properties > MAX_PROPERTIES) problems.push(`has ${properties} properties; strict mode takes at most ${MAX_PROPERTIES}`);
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
