/**
 * `delpaths`, as gojq runs it: what `del(f)` does with the paths jq-eval.ts collects.
 */
import type { JqValue } from './jq-parse';
import { JqRuntimeError, typeOf, type PathElement } from './jq-values';

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
