/**
 * jq's values as gojq treats them: types, the total order, equality, arithmetic, and
 * the value helpers the builtins share. No evaluation here (that is jq-eval.ts).
 */
import type { ArithOp, CompareOp, JqValue } from './jq-parse';

/** A path element: an object key, an array index, or a slice. */
export type PathElement = string | number | { start: number | null; end: number | null };

/** An error jq raises while evaluating (Argo CD then leaves the object as it is). */
export class JqRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqRuntimeError';
  }
}

export function typeOf(v: JqValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

export function describeValue(v: JqValue): string {
  const text = toJson(v);
  return `${typeOf(v)} (${text.length > 30 ? `${text.slice(0, 27)}...` : text})`;
}

export function isObject(v: JqValue): v is { [key: string]: JqValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Object keys in gojq's order (sorted by code point). */
export function sortedKeys(o: { [key: string]: JqValue }): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** JSON with sorted keys, as gojq writes it. */
export function toJson(v: JqValue): string {
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (isObject(v))
    return `{${sortedKeys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const TYPE_RANK: Record<string, number> = {
  null: 0,
  boolean: 1,
  number: 3,
  string: 4,
  array: 5,
  object: 6,
};

/** jq's total order: null < false < true < numbers < strings < arrays < objects. */
export function compareValues(a: JqValue, b: JqValue): number {
  const ta = typeOf(a);
  const tb = typeOf(b);
  const ra = TYPE_RANK[ta] + (a === true ? 1 : 0);
  const rb = TYPE_RANK[tb] + (b === true ? 1 : 0);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (Array.isArray(a)) {
    const bb = b as JqValue[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareValues(a[i], bb[i]);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  if (isObject(a) && isObject(b)) {
    const c = compareValues(sortedKeys(a), sortedKeys(b));
    if (c !== 0) return c;
    for (const k of sortedKeys(a)) {
      const d = compareValues(a[k], b[k]);
      if (d !== 0) return d;
    }
  }
  return 0;
}

export const truthy = (v: JqValue): boolean => v !== null && v !== false;

export function equal(a: JqValue, b: JqValue): boolean {
  return compareValues(a, b) === 0;
}

export function compareBy(op: CompareOp, l: JqValue, r: JqValue): boolean {
  const c = compareValues(l, r);
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

export function arith(op: ArithOp, l: JqValue, r: JqValue): JqValue {
  const bad = (): never => {
    const verb = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'modulo' }[op];
    throw new JqRuntimeError(`cannot ${verb}: ${describeValue(l)} and ${describeValue(r)}`);
  };
  if (typeof l === 'number' && typeof r === 'number') {
    switch (op) {
      case '+':
        return l + r;
      case '-':
        return l - r;
      case '*':
        return l * r;
      case '/':
        if (r === 0) bad();
        return l / r;
      case '%': {
        const a = Math.trunc(l);
        const b = Math.trunc(r);
        if (b === 0) bad();
        return a % b;
      }
    }
  }
  if (op === '+') {
    if (l === null) return r;
    if (r === null) return l;
    if (typeof l === 'string' && typeof r === 'string') return l + r;
    if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
    if (isObject(l) && isObject(r)) return { ...l, ...r };
    return bad();
  }
  if (op === '-' && Array.isArray(l) && Array.isArray(r))
    return l.filter((x) => !r.some((y) => equal(x, y)));
  if (op === '/' && typeof l === 'string' && typeof r === 'string') return splitString(l, r);
  return bad();
}

export function splitString(s: string, sep: string): JqValue {
  if (s === '') return [];
  return sep === '' ? [...s] : s.split(sep);
}

export function contains(a: JqValue, b: JqValue): boolean {
  if (typeOf(a) !== typeOf(b))
    throw new JqRuntimeError(
      `cannot check whether ${describeValue(a)} contains ${describeValue(b)}`,
    );
  if (typeof a === 'string') return a.includes(b as string);
  if (Array.isArray(a)) return (b as JqValue[]).every((x) => a.some((y) => safeContains(y, x)));
  if (isObject(a))
    return Object.entries(b as object).every(
      ([k, v]) => Object.hasOwn(a, k) && contains(a[k], v as JqValue),
    );
  return equal(a, b);
}

function safeContains(a: JqValue, b: JqValue): boolean {
  return typeOf(a) === typeOf(b) && contains(a, b);
}

export function needString(v: JqValue, what: string): string {
  if (typeof v !== 'string')
    throw new JqRuntimeError(`${what} cannot be applied to: ${describeValue(v)}`);
  return v;
}

/** A regular expression as gojq compiles it: flags `g`, `i` and `m` (dot matches newline) only. */
export function regexOf(pattern: JqValue, flags: JqValue): RegExp {
  const src = needString(pattern, 'test');
  const f = flags === null ? '' : needString(flags, 'test');
  if ([...f].some((c) => !'gim'.includes(c)))
    throw new JqRuntimeError(`unsupported regular expression flag: ${JSON.stringify(f)}`);
  let js = 'u' + (f.includes('i') ? 'i' : '') + (f.includes('m') ? 's' : '');
  let text = src;
  // Go takes inline flags at the start, (?i) or (?s); JavaScript takes them as flags.
  const inline = /^\(\?([is]+)\)/.exec(text);
  if (inline) {
    for (const c of inline[1]) if (!js.includes(c)) js += c;
    text = text.slice(inline[0].length);
  }
  try {
    return new RegExp(text, js);
  } catch (e) {
    throw new JqRuntimeError(`invalid regular expression ${JSON.stringify(src)}: ${String(e)}`);
  }
}

export function length(v: JqValue): number {
  if (v === null) return 0;
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  if (typeof v === 'number') return Math.abs(v);
  throw new JqRuntimeError(`length cannot be applied to: ${describeValue(v)}`);
}

export function keysOf(v: JqValue): JqValue[] {
  if (isObject(v)) return sortedKeys(v);
  if (Array.isArray(v)) return v.map((_, i) => i);
  throw new JqRuntimeError(`keys cannot be applied to: ${describeValue(v)}`);
}

export function has(v: JqValue, k: JqValue): boolean {
  if (v === null) return false;
  if (isObject(v) && typeof k === 'string') return Object.hasOwn(v, k);
  if (Array.isArray(v) && typeof k === 'number') return k >= 0 && k < v.length;
  throw new JqRuntimeError(`has(${toJson(k)}) cannot be applied to: ${describeValue(v)}`);
}

export function toEntries(v: JqValue): JqValue {
  if (!isObject(v))
    throw new JqRuntimeError(`to_entries cannot be applied to: ${describeValue(v)}`);
  return sortedKeys(v).map((key) => ({ key, value: v[key]! }));
}

export function fromEntries(v: JqValue): JqValue {
  if (!Array.isArray(v))
    throw new JqRuntimeError(`from_entries cannot be applied to: ${describeValue(v)}`);
  const out: { [key: string]: JqValue } = {};
  for (const e of v) {
    if (!isObject(e))
      throw new JqRuntimeError(`from_entries cannot be applied to: ${describeValue(e)}`);
    // gojq: the first of these that is neither null nor false, and it must be a string.
    const key = ['key', 'Key', 'name', 'Name']
      .map((n) => e[n])
      .find((x) => x != null && x !== false);
    if (typeof key !== 'string')
      throw new JqRuntimeError('from_entries: expected a string for object key');
    const value = ['value', 'Value'].find((n) => Object.hasOwn(e, n));
    out[key] = value === undefined ? null : e[value]!;
  }
  return out;
}
