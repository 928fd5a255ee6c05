import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schema/config.schema.json';
import { unknownFieldMessage } from '../unknown-field';
import type { ConfigPath } from './yaml-locate';

/** A schema violation, before it is given a file and line. */
export interface SchemaProblem {
  path: ConfigPath;
  /** Point at the key of the last path step rather than its value. */
  atKey: boolean;
  message: string;
}

let compiled: ValidateFunction | undefined;

/**
 * Checks raw config data against schema/config.schema.json and fills in the schema's
 * defaults (the data is modified in place). The schema is imported rather than read so
 * that the core stays free of I/O and the bundle carries it. Returns every violation,
 * in a form a person can act on.
 */
export function validateAgainstSchema(data: unknown): SchemaProblem[] {
  compiled ??= compileSchema();
  if (compiled(data)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const err of compiled.errors ?? []) {
    const p = describeError(err, data);
    if (!p) continue;
    // allErrors can report one mistake through several keywords; keep one line per spot.
    const key = `${p.path.join('/')}|${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  return dropParentNoise(problems);
}

function compileSchema(): ValidateFunction {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: true,
    allowUnionTypes: true,
    // parentSchema on each error gives us the `errorMessage` and allowed property names.
    verbose: true,
  });
  // Editors (VS Code, yaml-language-server) show `errorMessage`; we reuse it for our own
  // messages, so Ajv only needs to accept it as an annotation.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return ajv.compile(schema);
}

function describeError(err: ErrorObject, data: unknown): SchemaProblem | undefined {
  const path = pointerToPath(err.instancePath, data);
  const parent = err.parentSchema as { errorMessage?: string; properties?: object } | undefined;
  const expected = parent?.errorMessage;
  switch (err.keyword) {
    case 'required': {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      return { path: [...path, missing], atKey: false, message: 'is required but missing' };
    }
    case 'additionalProperties': {
      const extra = (err.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(parent?.properties ?? {}).filter((k) => k !== '$schema');
      return {
        path: [...path, extra],
        atKey: true,
        message: unknownFieldMessage(extra, allowed),
      };
    }
    case 'type':
      return {
        path,
        atKey: false,
        message: `expected ${String((err.params as { type: string }).type)}, got ${describeType(valueAt(data, path))}`,
      };
    case 'enum':
      return {
        path,
        atKey: false,
        message: `expected one of ${(err.params as { allowedValues: unknown[] }).allowedValues
          .map((v) => JSON.stringify(v))
          .join(', ')}, got ${JSON.stringify(valueAt(data, path))}`,
      };
    case 'pattern':
    case 'maxLength': {
      const name = (err as { propertyName?: string }).propertyName;
      const where = name !== undefined ? [...path, name] : path;
      const got = name ?? valueAt(data, path);
      return {
        path: where,
        atKey: name !== undefined,
        message: `expected ${expected ?? err.message ?? 'a valid value'}, got ${JSON.stringify(got)}`,
      };
    }
    case 'minimum':
    case 'maximum': {
      const { comparison, limit } = err.params as { comparison: string; limit: number };
      return {
        path,
        atKey: false,
        message: `expected a number ${comparison} ${limit}, got ${JSON.stringify(valueAt(data, path))}`,
      };
    }
    case 'propertyNames':
      return undefined; // the inner error (with propertyName) already says what is wrong
    case 'uniqueItems': {
      const { i, j } = err.params as { i: number; j: number };
      return {
        path: [...path, i],
        atKey: false,
        message: `duplicates item ${j}; list each value once`,
      };
    }
    default:
      return { path, atKey: false, message: err.message ?? `fails the ${err.keyword} rule` };
  }
}

/**
 * When an object has the wrong type, Ajv also reports nothing below it, but a `type`
 * error on a list item next to errors inside that item would be redundant; keep the
 * more precise ones.
 */
function dropParentNoise(problems: SchemaProblem[]): SchemaProblem[] {
  return problems.filter(
    (p) =>
      !p.message.startsWith('expected object') ||
      !problems.some((q) => q !== p && q.path.length > p.path.length && startsWith(q.path, p.path)),
  );
}

function startsWith(a: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.every((s, i) => a[i] === s);
}

function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(cur) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(step);
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let cur = data;
  for (const step of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}

function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
