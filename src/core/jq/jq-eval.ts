/**
 * Evaluates the jq subset of jq-parse.ts the way gojq does, tracking the path of every
 * output so that `del(f)` (what Argo CD runs for each of `jqPathExpressions`) can be
 * computed as jq defines it: `delpaths([path(f)])`.
 */
import { parseJq, type JqNode, type JqValue } from './jq-parse';
import { deletePaths } from './jq-delete';
import {
  arith,
  compareBy,
  contains,
  describeValue,
  equal,
  fromEntries,
  has,
  isObject,
  JqRuntimeError,
  keysOf,
  length,
  needString,
  regexOf,
  sortedKeys,
  splitString,
  toEntries,
  toJson,
  truthy,
  typeOf,
  type PathElement,
} from './jq-values';

type Path = PathElement[] | null;
type Out = [JqValue, Path];

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

const extend = (path: Path, el: PathElement): Path => (path === null ? null : [...path, el]);

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
