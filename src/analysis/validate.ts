import type { JsonSchema } from './schema';

/**
 * Checks a value against a schema of the strict subset (the one `strictSchemaProblems` accepts): types, properties,
 * required fields, no extra fields, items, enum, const, anyOf, `#/$defs` references, patterns, number bounds and
 * array lengths. `format` is not checked. Returns the first problems found, each with where it is; empty when valid.
 */
export function schemaViolations(schema: JsonSchema, value: unknown): string[] {
  const problems: string[] = [];
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;

  const check = (node: JsonSchema, v: unknown, path: string): void => {
    if (problems.length >= 5) return;
    if (typeof node.$ref === 'string') {
      const target = node.$ref === '#' ? schema : defs[node.$ref.replace('#/$defs/', '')];
      return target ? check(target, v, path) : void problems.push(`${path}: unresolvable $ref ${node.$ref}`);
    }
    if (Array.isArray(node.anyOf)) {
      const branches = node.anyOf as JsonSchema[];
      if (!branches.some((branch) => schemaViolations({ ...branch, $defs: defs }, v).length === 0)) problems.push(`${path}: matches none of anyOf`);
      return;
    }
    if (node.const !== undefined && !sameJson(node.const, v)) return void problems.push(`${path}: must be ${JSON.stringify(node.const)}`);
    if (Array.isArray(node.enum) && !node.enum.some((option) => sameJson(option, v))) {
      return void problems.push(`${path}: must be one of ${node.enum.map((o) => JSON.stringify(o)).join(', ')}`);
    }
    if (node.type === undefined) return;
    const types = (Array.isArray(node.type) ? node.type : [node.type]) as string[];
    const type = types.find((t) => isOfType(t, v));
    if (!type) return void problems.push(`${path}: must be ${types.join(' or ')}, not ${describe(v)}`);
    if (type === 'object') {
      const object = v as Record<string, unknown>;
      const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
      for (const name of (node.required ?? []) as string[]) if (!(name in object)) problems.push(`${path}.${name}: missing`);
      for (const [name, child] of Object.entries(object)) {
        if (properties[name]) check(properties[name], child, `${path}.${name}`);
        else if (node.additionalProperties === false) problems.push(`${path}.${name}: not in the schema`);
      }
    } else if (type === 'array') {
      const array = v as unknown[];
      if (typeof node.minItems === 'number' && array.length < node.minItems) problems.push(`${path}: fewer than ${node.minItems} items`);
      if (typeof node.maxItems === 'number' && array.length > node.maxItems) problems.push(`${path}: more than ${node.maxItems} items`);
      if (node.items) array.forEach((item, i) => check(node.items as JsonSchema, item, `${path}[${i}]`));
    } else if (type === 'string') {
      if (typeof node.pattern === 'string' && !new RegExp(node.pattern, 'u').test(v as string)) problems.push(`${path}: does not match ${node.pattern}`);
    } else if (type === 'number' || type === 'integer') {
      const n = v as number;
      if (typeof node.minimum === 'number' && n < node.minimum) problems.push(`${path}: below ${node.minimum}`);
      if (typeof node.maximum === 'number' && n > node.maximum) problems.push(`${path}: above ${node.maximum}`);
      if (typeof node.exclusiveMinimum === 'number' && n <= node.exclusiveMinimum) problems.push(`${path}: not above ${node.exclusiveMinimum}`);
      if (typeof node.exclusiveMaximum === 'number' && n >= node.exclusiveMaximum) problems.push(`${path}: not below ${node.exclusiveMaximum}`);
      if (typeof node.multipleOf === 'number' && !Number.isInteger(n / node.multipleOf)) problems.push(`${path}: not a multiple of ${node.multipleOf}`);
    }
  };

  check(schema, value, '$');
  return problems;
}

function isOfType(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return false;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
