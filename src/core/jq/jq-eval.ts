/**
 * Evaluates the jq subset of jq-parse.ts the way gojq does, tracking the path of every
 * output so that `del(f)` (what Argo CD runs for each of `jqPathExpressions`) can be
 * computed as jq defines it: `delpaths([path(f)])`.
 */
import { parseJq, type ArithOp, type CompareOp, type JqNode, type JqValue } from './jq-parse';

/** A path element: an object key, an array index, or a slice. */
export type PathElement = string | number | { start: number | null; end: number | null };
type Path = PathElement[] | null;
type Out = [JqValue, Path];

/** An error jq raises while evaluating (Argo CD then leaves the object as it is). */
export class JqRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqRuntimeError';
  }
}

/** A compiled `del(<expression>)`. */
export interface JqDeletion {
  readonly expression: string;
  /** The document with every path the expression selects removed; throws JqRuntimeError. */
  apply(doc: JqValue): JqValue;
}

/** Compiles `del(expression)`; throws JqSyntaxError for what cannot be parsed or evaluated. */
export function compileDeletion(expression: string): JqDeletion {
  const node = parseJq(expression);
  return {
    expression,
    apply: (doc) => deletePaths(doc, collectPaths(node, doc)),
  };
}

/** `[path(f)]`: every path the expression selects in `doc`. */
export function collectPaths(node: JqNode, doc: JqValue): PathElement[][] {
  const paths: PathElement[][] = [];
  for (const [value, path] of evaluate(node, doc, [], true)) {
    if (path === null) throw new JqRuntimeError(`invalid path against: ${describeValue(value)}`);
    paths.push(path);
  }
  return paths;
}

/** The outputs of an expression (values only). */
export function evaluateValues(expression: string, doc: JqValue): JqValue[] {
  return [...evaluate(parseJq(expression), doc, null, false)].map(([v]) => v);
}

function typeOf(v: JqValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function describeValue(v: JqValue): string {
  const text = toJson(v);
  return `${typeOf(v)} (${text.length > 30 ? `${text.slice(0, 27)}...` : text})`;
}

function isObject(v: JqValue): v is { [key: string]: JqValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const truthy = (v: JqValue): boolean => v !== null && v !== false;
const extend = (path: Path, el: PathElement): Path => (path === null ? null : [...path, el]);

/** Object keys in gojq's order (sorted by code point). */
function sortedKeys(o: { [key: string]: JqValue }): string[] {
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

/**
 * The outputs of `node` for `input` at `path`. With `track`, the outputs are paths to be
 * collected (inside `path(...)`/`del(...)`): indexing a value that has no path (a literal,
 * a computed value) is then an error, as in gojq; conditions and arguments are evaluated
 * without tracking.
 */
function* evaluate(node: JqNode, input: JqValue, path: Path, track: boolean): Generator<Out> {
  const sub = (n: JqNode, v: JqValue, p: Path) => evaluate(n, v, p, track);
  switch (node.t) {
    case 'identity':
      yield [input, path];
      return;
    case 'recurse-all':
      yield* recurse(input, path, (v, p) => tryIterate(v, p, track));
      return;
    case 'literal':
      yield [node.value, null];
      return;
    case 'index':
      for (const [target, tp] of sub(node.target, input, path))
        for (const key of values(node.key, input))
          yield* optional(node.optional, () => [index(target, tp, key, track)]);
      return;
    case 'slice':
      for (const [target, tp] of sub(node.target, input, path))
        for (const to of node.to ? values(node.to, input) : [null])
          for (const from of node.from ? values(node.from, input) : [null])
            yield* optional(node.optional, () => [slice(target, tp, from, to, track)]);
      return;
    case 'iterate':
      for (const [target, tp] of sub(node.target, input, path))
        yield* optional(node.optional, () => iterate(target, tp, track));
      return;
    case 'try':
      try {
        for (const out of sub(node.body, input, path)) yield out;
      } catch (e) {
        if (!(e instanceof JqRuntimeError)) throw e;
        if (node.catch) yield* evaluate(node.catch, e.message, null, false);
      }
      return;
    case 'pipe':
      for (const [v, p] of sub(node.left, input, path)) yield* sub(node.right, v, p);
      return;
    case 'comma':
      yield* sub(node.left, input, path);
      yield* sub(node.right, input, path);
      return;
    case 'alt': {
      let any = false;
      try {
        for (const out of sub(node.left, input, path)) {
          if (truthy(out[0])) {
            any = true;
            yield out;
          }
        }
      } catch (e) {
        if (!(e instanceof JqRuntimeError)) throw e;
      }
      if (!any) yield* sub(node.right, input, path);
      return;
    }
    case 'and':
    case 'or':
      for (const l of values(node.left, input)) {
        if (node.t === 'and' ? !truthy(l) : truthy(l)) {
          yield [node.t === 'or', null];
          continue;
        }
        for (const r of values(node.right, input)) yield [truthy(r), null];
      }
      return;
    case 'compare':
      for (const r of values(node.right, input))
        for (const l of values(node.left, input)) yield [compareBy(node.op, l, r), null];
      return;
    case 'arith':
      for (const r of values(node.right, input))
        for (const l of values(node.left, input)) yield [arith(node.op, l, r), null];
      return;
    case 'negate':
      for (const v of values(node.body, input)) {
        if (typeof v !== 'number') throw new JqRuntimeError(`cannot negate: ${describeValue(v)}`);
        yield [-v, null];
      }
      return;
    case 'array':
      yield [node.body ? values(node.body, input) : [], null];
      return;
    case 'if':
      yield* evaluateIf(node.branches, node.else, input, path, track);
      return;
    case 'call':
      yield* call(node.name, node.args, input, path, track);
      return;
  }
}

/** A suffix followed by `?` (gojq: only that suffix is tried, not the term before it). */
function* optional(isOptional: boolean | undefined, run: () => Iterable<Out>): Generator<Out> {
  if (!isOptional) {
    yield* run();
    return;
  }
  try {
    for (const out of run()) yield out;
  } catch (e) {
    if (!(e instanceof JqRuntimeError)) throw e;
  }
}

function* iterateValues(input: JqValue): Generator<JqValue> {
  for (const [v] of iterate(input, null)) yield v;
}

/** `any`/`all` over the answers of `test` for each item, stopping at the first that decides. */
function quantify(
  name: string,
  items: Iterable<JqValue>,
  test: (v: JqValue) => Iterable<JqValue>,
): boolean {
  const any = name === 'any';
  for (const item of items) for (const r of test(item)) if (truthy(r) === any) return any;
  return !any;
}

function values(node: JqNode, input: JqValue): JqValue[] {
  return [...evaluate(node, input, null, false)].map(([v]) => v);
}

/** The outputs of a generator one by one, without tracking: for lazy `any`/`all`. */
function* lazyValues(node: JqNode, input: JqValue): Generator<JqValue> {
  for (const [v] of evaluate(node, input, null, false)) yield v;
}

function* evaluateIf(
  branches: ReadonlyArray<{ cond: JqNode; then: JqNode }>,
  otherwise: JqNode | undefined,
  input: JqValue,
  path: Path,
  track: boolean,
): Generator<Out> {
  const [first, ...rest] = branches;
  if (!first) {
    yield* otherwise ? evaluate(otherwise, input, path, track) : [[input, path] as Out];
    return;
  }
  for (const c of values(first.cond, input)) {
    if (truthy(c)) yield* evaluate(first.then, input, path, track);
    else yield* evaluateIf(rest, otherwise, input, path, track);
  }
}

function* recurse(
  input: JqValue,
  path: Path,
  next: (v: JqValue, p: Path) => Iterable<Out>,
): Generator<Out> {
  yield [input, path];
  for (const [v, p] of next(input, path)) yield* recurse(v, p, next);
}

function* tryIterate(v: JqValue, p: Path, track: boolean): Generator<Out> {
  try {
    for (const out of iterate(v, p, track)) yield out;
  } catch (e) {
    if (!(e instanceof JqRuntimeError)) throw e;
  }
}

function noPath(target: JqValue, track: boolean, path: Path): void {
  if (track && path === null)
    throw new JqRuntimeError(`invalid path against: ${describeValue(target)}`);
}

function* iterate(target: JqValue, path: Path, track = false): Generator<Out> {
  noPath(target, track, path);
  if (Array.isArray(target)) {
    for (let i = 0; i < target.length; i++) yield [target[i]!, extend(path, i)];
    return;
  }
  if (isObject(target)) {
    for (const k of sortedKeys(target)) yield [target[k]!, extend(path, k)];
    return;
  }
  throw new JqRuntimeError(`cannot iterate over: ${describeValue(target)}`);
}

function index(target: JqValue, path: Path, key: JqValue, track = false): Out {
  noPath(target, track, path);
  if (typeof key === 'string') {
    if (target === null) return [null, extend(path, key)];
    if (!isObject(target))
      throw new JqRuntimeError(`expected an object but got: ${describeValue(target)}`);
    return [Object.hasOwn(target, key) ? target[key]! : null, extend(path, key)];
  }
  if (typeof key === 'number') {
    if (target === null) return [null, extend(path, key)];
    if (!Array.isArray(target))
      throw new JqRuntimeError(`expected an array but got: ${describeValue(target)}`);
    const i = Math.trunc(key);
    const at = i < 0 ? target.length + i : i;
    return [target[at] ?? null, extend(path, key)];
  }
  if (isObject(key) && ('start' in key || 'end' in key)) {
    const s = key.start ?? null;
    const e = key.end ?? null;
    return slice(target, path, s, e, track);
  }
  throw new JqRuntimeError(
    `expected a string or a number as an index but got: ${describeValue(key)}`,
  );
}

function sliceBounds(length: number, from: JqValue, to: JqValue): [number, number] {
  const clamp = (v: JqValue, dflt: number): number => {
    if (v === null) return dflt;
    if (typeof v !== 'number')
      throw new JqRuntimeError(`expected a number for slicing but got: ${describeValue(v)}`);
    const i = Math.trunc(v);
    return Math.min(length, Math.max(0, i < 0 ? length + i : i));
  };
  const s = clamp(from, 0);
  const e = clamp(to, length);
  return [s, Math.max(s, e)];
}

function slice(target: JqValue, path: Path, from: JqValue, to: JqValue, track = false): Out {
  noPath(target, track, path);
  const el = (s: number, e: number): PathElement => ({ start: s, end: e });
  if (target === null)
    return [
      null,
      extend(path, {
        start: typeof from === 'number' ? from : null,
        end: typeof to === 'number' ? to : null,
      }),
    ];
  if (Array.isArray(target)) {
    const [s, e] = sliceBounds(target.length, from, to);
    return [target.slice(s, e), extend(path, el(s, e))];
  }
  if (typeof target === 'string') {
    const chars = [...target];
    const [s, e] = sliceBounds(chars.length, from, to);
    return [chars.slice(s, e).join(''), extend(path, el(s, e))];
  }
  throw new JqRuntimeError(`cannot slice: ${describeValue(target)}`);
}

function equal(a: JqValue, b: JqValue): boolean {
  return compareValues(a, b) === 0;
}

function compareBy(op: CompareOp, l: JqValue, r: JqValue): boolean {
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

function arith(op: ArithOp, l: JqValue, r: JqValue): JqValue {
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

function splitString(s: string, sep: string): JqValue {
  if (s === '') return [];
  return sep === '' ? [...s] : s.split(sep);
}

function contains(a: JqValue, b: JqValue): boolean {
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

function needString(v: JqValue, what: string): string {
  if (typeof v !== 'string')
    throw new JqRuntimeError(`${what} cannot be applied to: ${describeValue(v)}`);
  return v;
}

/** A regular expression as gojq compiles it: flags `g`, `i` and `m` (dot matches newline) only. */
function regexOf(pattern: JqValue, flags: JqValue): RegExp {
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

function length(v: JqValue): number {
  if (v === null) return 0;
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  if (typeof v === 'number') return Math.abs(v);
  throw new JqRuntimeError(`length cannot be applied to: ${describeValue(v)}`);
}

function keysOf(v: JqValue): JqValue[] {
  if (isObject(v)) return sortedKeys(v);
  if (Array.isArray(v)) return v.map((_, i) => i);
  throw new JqRuntimeError(`keys cannot be applied to: ${describeValue(v)}`);
}

function has(v: JqValue, k: JqValue): boolean {
  if (v === null) return false;
  if (isObject(v) && typeof k === 'string') return Object.hasOwn(v, k);
  if (Array.isArray(v) && typeof k === 'number') return k >= 0 && k < v.length;
  throw new JqRuntimeError(`has(${toJson(k)}) cannot be applied to: ${describeValue(v)}`);
}

function toEntries(v: JqValue): JqValue {
  if (!isObject(v))
    throw new JqRuntimeError(`to_entries cannot be applied to: ${describeValue(v)}`);
  return sortedKeys(v).map((key) => ({ key, value: v[key]! }));
}

function fromEntries(v: JqValue): JqValue {
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

function* call(
  name: string,
  args: JqNode[],
  input: JqValue,
  path: Path,
  track: boolean,
): Generator<Out> {
  const arg = (i: number) => args[i];
  const value = (v: JqValue): Out => [v, null];
  const ofType = (t: string) => (typeOf(input) === t ? [[input, path] as Out] : []);
  switch (`${name}/${args.length}`) {
    case 'empty/0':
      return;
    case 'error/0':
      throw new JqRuntimeError(typeof input === 'string' ? input : toJson(input));
    case 'error/1':
      for (const m of values(arg(0), input))
        throw new JqRuntimeError(typeof m === 'string' ? m : toJson(m));
      return;
    case 'not/0':
      yield value(!truthy(input));
      return;
    case 'select/1':
      for (const c of values(arg(0), input)) if (truthy(c)) yield [input, path];
      return;
    case 'recurse/0':
      yield* recurse(input, path, (v, p) => tryIterate(v, p, track));
      return;
    case 'recurse/1':
      yield* recurse(input, path, (v, p) => evaluate(arg(0), v, p, track));
      return;
    case 'first/0':
      yield index(input, path, 0, track);
      return;
    case 'last/0':
      yield index(input, path, -1, track);
      return;
    case 'first/1':
      for (const out of evaluate(arg(0), input, path, track)) {
        yield out;
        return;
      }
      return;
    case 'limit/2':
      for (const n of values(arg(0), input)) {
        if (typeof n !== 'number') throw new JqRuntimeError(`limit: expected a number`);
        if (n <= 0) continue;
        let taken = 0;
        for (const out of evaluate(arg(1), input, path, track)) {
          yield out;
          if (++taken >= n) break;
        }
      }
      return;
    case 'getpath/1':
      for (const p of values(arg(0), input)) {
        if (!Array.isArray(p))
          throw new JqRuntimeError(`getpath: expected an array but got: ${describeValue(p)}`);
        let cur: Out = [input, path];
        try {
          for (const el of p) cur = index(cur[0], cur[1], el, track);
        } catch (e) {
          if (!(e instanceof JqRuntimeError)) throw e;
          throw new JqRuntimeError(
            `getpath(${toJson(p)}) cannot be applied to: ${describeValue(input)}`,
          );
        }
        yield cur;
      }
      return;
    case 'values/0':
      if (input !== null) yield [input, path];
      return;
    case 'nulls/0':
      yield* ofType('null');
      return;
    case 'booleans/0':
      yield* ofType('boolean');
      return;
    case 'numbers/0':
      yield* ofType('number');
      return;
    case 'strings/0':
      yield* ofType('string');
      return;
    case 'arrays/0':
      yield* ofType('array');
      return;
    case 'objects/0':
      yield* ofType('object');
      return;
    case 'iterables/0':
      if (Array.isArray(input) || isObject(input)) yield [input, path];
      return;
    case 'scalars/0':
      if (!Array.isArray(input) && !isObject(input)) yield [input, path];
      return;
    case 'length/0':
      yield value(length(input));
      return;
    case 'type/0':
      yield value(typeOf(input));
      return;
    case 'keys/0':
      yield value(keysOf(input));
      return;
    case 'has/1':
      for (const k of values(arg(0), input)) yield value(has(input, k));
      return;
    case 'in/1':
      for (const o of values(arg(0), input)) yield value(has(o, input));
      return;
    case 'contains/1':
      for (const b of values(arg(0), input)) yield value(contains(input, b));
      return;
    case 'inside/1':
      for (const a of values(arg(0), input)) yield value(contains(a, input));
      return;
    case 'startswith/1':
    case 'endswith/1':
      for (const s of values(arg(0), input)) {
        if (typeof input !== 'string' || typeof s !== 'string')
          throw new JqRuntimeError(
            `${name}(${toJson(s)}) cannot be applied to: ${describeValue(input)}`,
          );
        yield value(name === 'startswith' ? input.startsWith(s) : input.endsWith(s));
      }
      return;
    case 'ltrimstr/1':
    case 'rtrimstr/1':
      for (const s of values(arg(0), input)) {
        if (typeof input !== 'string' || typeof s !== 'string') yield value(input);
        else if (name === 'ltrimstr' && input.startsWith(s)) yield value(input.slice(s.length));
        else if (name === 'rtrimstr' && s !== '' && input.endsWith(s))
          yield value(input.slice(0, input.length - s.length));
        else yield value(input);
      }
      return;
    case 'test/1':
      for (const re of values(arg(0), input))
        yield value(regexOf(re, null).test(needString(input, 'test')));
      return;
    case 'test/2':
      for (const flags of values(arg(1), input))
        for (const re of values(arg(0), input))
          yield value(regexOf(re, flags).test(needString(input, 'test')));
      return;
    case 'ascii_downcase/0':
      yield value(needString(input, name).replace(/[A-Z]/g, (c) => c.toLowerCase()));
      return;
    case 'ascii_upcase/0':
      yield value(needString(input, name).replace(/[a-z]/g, (c) => c.toUpperCase()));
      return;
    case 'tostring/0':
      yield value(typeof input === 'string' ? input : toJson(input));
      return;
    case 'tojson/0':
      yield value(toJson(input));
      return;
    case 'tonumber/0': {
      if (typeof input === 'number') yield value(input);
      else {
        const s = needString(input, name);
        const n = Number(s);
        if (s.trim() === '' || Number.isNaN(n))
          throw new JqRuntimeError(`cannot parse ${JSON.stringify(s)} as a number`);
        yield value(n);
      }
      return;
    }
    case 'split/1':
      for (const sep of values(arg(0), input))
        yield value(splitString(needString(input, name), needString(sep, name)));
      return;
    case 'join/1':
      for (const sep of values(arg(0), input)) {
        if (!Array.isArray(input))
          throw new JqRuntimeError(`join cannot be applied to: ${describeValue(input)}`);
        const s = needString(sep, name);
        yield value(
          input
            .map((x) => {
              if (x === null) return '';
              if (typeof x === 'object')
                throw new JqRuntimeError(`join: cannot join ${describeValue(x)}`);
              return String(x);
            })
            .join(s),
        );
      }
      return;
    case 'map/1':
      yield value([...iterateValues(input)].flatMap((v) => values(arg(0), v)));
      return;
    case 'add/0': {
      if (!Array.isArray(input) && !isObject(input))
        throw new JqRuntimeError(`add cannot be applied to: ${describeValue(input)}`);
      const items = Array.isArray(input) ? input : sortedKeys(input).map((k) => input[k]!);
      yield value(items.reduce<JqValue>((acc, x) => arith('+', acc, x), null));
      return;
    }
    // gojq: any(g; y) = isempty(g | select(y)) | not, all(g; y) = isempty(g | select(y | not)):
    // both stop at the first answer, so an error after it is never raised.
    case 'any/0':
    case 'all/0':
      yield value(quantify(name, iterateValues(input), (v) => [v]));
      return;
    case 'any/1':
    case 'all/1':
      yield value(quantify(name, iterateValues(input), (v) => lazyValues(arg(0), v)));
      return;
    case 'any/2':
    case 'all/2':
      yield value(quantify(name, lazyValues(arg(0), input), (v) => lazyValues(arg(1), v)));
      return;
    // IN(s) = any(s == .; .); IN(src; s) = any(src == s; .).
    case 'IN/1':
      yield value(quantify('any', lazyValues(arg(0), input), (v) => [equal(v, input)]));
      return;
    case 'IN/2': {
      const pairs = function* (): Generator<JqValue> {
        for (const s of lazyValues(arg(1), input))
          for (const v of lazyValues(arg(0), input)) yield equal(v, s);
      };
      yield value(quantify('any', pairs(), (v) => [v]));
      return;
    }
    case 'isempty/1': {
      let empty = true;
      for (const _ of lazyValues(arg(0), input)) {
        empty = false;
        break;
      }
      yield value(empty);
      return;
    }
    case 'to_entries/0':
      yield value(toEntries(input));
      return;
    case 'from_entries/0':
      yield value(fromEntries(input));
      return;
    case 'with_entries/1': {
      const entries = toEntries(input) as JqValue[];
      yield value(fromEntries(entries.flatMap((e) => values(arg(0), e))));
      return;
    }
  }
  throw new JqRuntimeError(`${name}/${args.length} is not defined`);
}

/**
 * `delpaths(paths)` as gojq does it: every path is first marked (so array positions do not
 * move between deletions), then the marks are removed. Deleting below a null makes it an
 * empty object or array, as in gojq.
 */
export function deletePaths(doc: JqValue, paths: PathElement[][]): JqValue {
  if (paths.length === 0) return doc;
  let marked: Marked = doc;
  for (const p of paths) marked = mark(marked, p);
  return unmark(marked) ?? null;
}

const GONE = Symbol('deleted');
type Marked = JqValue | typeof GONE | Marked[] | { [key: string]: Marked };

/** gojq's clampIndex: negative counts from the end, then kept within [min, max]. */
function clampIndex(i: number, min: number, max: number): number {
  const j = i < 0 ? i + max : i;
  return j < min ? min : j > max ? max : j;
}

function mark(v: Marked, path: readonly PathElement[]): Marked {
  if (path.length === 0) return GONE;
  if (v === GONE) return v;
  const [el, ...rest] = path as [PathElement, ...PathElement[]];
  if (typeof el === 'string') {
    if (v !== null && (typeof v !== 'object' || Array.isArray(v)))
      throw new JqRuntimeError(`expected an object but got: ${typeOf(v as JqValue)}`);
    const obj = v ?? {};
    if (!Object.hasOwn(obj, el)) return obj;
    return { ...obj, [el]: mark(obj[el], rest) };
  }
  if (v !== null && !Array.isArray(v))
    throw new JqRuntimeError(`expected an array but got: ${typeOf(v as JqValue)}`);
  const arr = v ?? [];
  if (typeof el === 'number') {
    const j = clampIndex(Math.trunc(el), -1, arr.length);
    if (j < 0 || j >= arr.length) return arr;
    const copy = [...arr];
    copy[j] = mark(arr[j], rest);
    return copy;
  }
  const start = el.start === null ? 0 : clampIndex(Math.trunc(el.start), 0, arr.length);
  const end = el.end === null ? arr.length : clampIndex(Math.trunc(el.end), start, arr.length);
  if (start === end) return arr;
  const inner = mark(arr.slice(start, end), rest);
  if (inner === GONE) {
    const gone: Marked[] = arr.slice(start, end).map(() => GONE);
    return [...arr.slice(0, start), ...gone, ...arr.slice(end)];
  }
  if (!Array.isArray(inner)) throw new JqRuntimeError('expected an array');
  return [...arr.slice(0, start), ...inner, ...arr.slice(end)];
}

function unmark(v: Marked): JqValue | undefined {
  if (v === GONE) return undefined;
  if (Array.isArray(v)) return v.flatMap((x) => (x === GONE ? [] : [unmark(x)!]));
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: JqValue } = {};
    for (const [k, x] of Object.entries(v)) if (x !== GONE) out[k] = unmark(x)!;
    return out;
  }
  return v;
}
