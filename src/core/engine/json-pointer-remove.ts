/**
 * An RFC 6902 `remove` of one JSON pointer, as Argo CD applies `ignoreDifferences`
 * `jsonPointers` (github.com/evanphx/json-patch v5.9.11, the version Argo CD v3.2.11
 * pins): `~1` and `~0` decoded, array positions as decimal numbers (negative ones count
 * from the end, as that library allows), and a pointer that names nothing is an error,
 * which Argo CD takes as "nothing to remove here" and goes on.
 */
import { isJsonObject, type Json } from '../compare/kube-object';

/** Why a pointer could not be removed (Argo CD then leaves the object as it is). */
export class PointerMissError extends Error {
  constructor(pointer: string) {
    super(`nothing at ${pointer}`);
    this.name = 'PointerMissError';
  }
}

const decode = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** The array position a token names, as Go's strconv.Atoi reads it; NaN when it is none. */
function position(token: string): number {
  return /^[+-]?[0-9]+$/.test(token) ? Number(token) : NaN;
}

/** Returns `doc` without the value at `pointer` (copied along the path); throws PointerMissError. */
export function removePointer(doc: Json, pointer: string): Json {
  const tokens = pointer.split('/');
  // Like the library: the first token is dropped whatever it is, and "" names nothing.
  if (tokens.length < 2) throw new PointerMissError(pointer);
  const path = tokens.slice(1).map(decode);
  const step = (value: Json, i: number): Json => {
    const token = path[i];
    const last = i === path.length - 1;
    if (Array.isArray(value)) {
      let at = position(token);
      if (Number.isNaN(at) || at >= value.length || at < -value.length)
        throw new PointerMissError(pointer);
      if (at < 0) at += value.length;
      if (last) return [...value.slice(0, at), ...value.slice(at + 1)];
      const copy = [...value];
      copy[at] = step(value[at], i + 1);
      return copy;
    }
    if (!isJsonObject(value) || !Object.hasOwn(value, token)) throw new PointerMissError(pointer);
    if (last) {
      const copy = { ...value };
      delete copy[token];
      return copy;
    }
    const child = value[token]!;
    if (child === null || typeof child !== 'object') throw new PointerMissError(pointer);
    return { ...value, [token]: step(child, i + 1) };
  };
  return step(doc, 0);
}
