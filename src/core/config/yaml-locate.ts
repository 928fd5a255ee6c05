import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A path into the config document: map keys and sequence indexes. */
export type ConfigPath = readonly (string | number)[];

/** 1-based position of something in the config file. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Finds where a field sits in the YAML source so problems can name a line. Walks as far
 * along `path` as the document goes: a missing field is reported at its parent, which is
 * where the user has to add it. With `atKey`, the last step points at the key rather than
 * the value (for unknown or duplicated fields, the key is what is wrong).
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: ConfigPath,
  atKey = false,
): Position | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNodeLike(node) ? node : undefined;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      if (last && atKey && isNodeLike(pair.key)) {
        found = pair.key;
        break;
      }
      node = pair.value;
      if (isNodeLike(node)) found = node;
      else if (isNodeLike(pair.key)) found = pair.key; // `key:` with no value
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
      if (!isNodeLike(node)) break;
      found = node;
    } else {
      break;
    }
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** Formats a path the way users write it: `regions[1].name`, `database.managed.endpoints.db-1`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out === '' ? step : `.${step}`;
  }
  return out;
}

function isNodeLike(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}
