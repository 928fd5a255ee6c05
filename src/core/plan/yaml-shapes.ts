import { parse, parseAllDocuments } from 'yaml';
import { TemplateError } from '../errors';

/**
 * Checks rendered files as YAML and gives back their documents as plain values, parsing
 * each distinct file *shape* only once.
 *
 * Parsing YAML is the slowest step of a run, and most files differ only in their quoted
 * values (50 regions x 8 shards give 400 shard files of one shape). The template engine
 * writes every value as a one-line double-quoted scalar, so replacing each such scalar
 * with a numbered placeholder keeps the document's structure: a shape that parses once
 * parses for every file that has it, and the file's documents are the shape's documents
 * with the placeholders swapped back for the file's own values.
 *
 * The placeholder is a double-quoted `"\u0001<n>"`. Parsed, it becomes the control
 * character U+0001 followed by digits, which no other YAML scalar can hold (YAML allows
 * no unescaped control characters, and every escaped one sits in a quoted scalar that
 * was itself replaced). Where the regular expression matched quote marks inside another
 * kind of scalar (a block scalar, a single-quoted string), the placeholder text is still
 * there verbatim and is put back as the original text.
 */
export interface RenderedYaml {
  /** The file's documents as plain values (mappings, lists, scalars); null for empty ones. */
  documents(): unknown[];
  /**
   * The same documents cut down to what identifies an object and how it scales:
   * `apiVersion`, `kind`, `metadata.name`, `spec.replicas`, `spec.scaleTargetRef` (lists
   * and scalars whole). Much cheaper than `documents()` for the hundreds of files a large
   * tree has, since only those few values are put back.
   */
  outlines(): unknown[];
}

/** Reads one rendered file; throws TemplateError (naming `origin`) when it is not valid YAML. */
export type ShapeReader = (body: string, origin: string, path: string) => RenderedYaml;

const MARK = '\u0001';
const QUOTED = /"(?:[^"\\\n]|\\.)*"/g;
const DIGITS = /^\d+$/;
const INLINE = /"\\u0001(\d+)"/g;

/** A reader with its own cache of parsed shapes (one per run). */
export function createShapeReader(): ShapeReader {
  const shapes = new Map<string, unknown[]>();
  return (body, origin, path) => {
    const values: string[] = [];
    const shape = body.replace(QUOTED, (quoted) => `"\\u0001${values.push(quoted) - 1}"`);
    let docs = shapes.get(shape);
    if (!docs) {
      docs = parseShape(shape, origin, path);
      shapes.set(shape, docs);
    }
    const parsed = docs;
    let resolved: unknown[] | undefined;
    let outlined: unknown[] | undefined;
    return {
      documents: () => (resolved ??= parsed.map((d) => resolve(d, values))),
      outlines: () => (outlined ??= parsed.map((d) => outline(d, values))),
    };
  };
}

function parseShape(shape: string, origin: string, path: string): unknown[] {
  const docs = parseAllDocuments(shape, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      throw new TemplateError(
        origin,
        `renders ${path} as invalid YAML: ${err.message.split('\n')[0]}`,
        'Check the indentation and keys of the template around that line.',
      );
    }
  }
  return list.map((d) => d.toJS() as unknown);
}

/** The shape's value with the file's own values put back. */
function resolve(node: unknown, values: readonly string[]): unknown {
  if (typeof node === 'string') return resolveString(node, values);
  if (Array.isArray(node)) return node.map((n) => resolve(n, values));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node))
      out[String(resolveString(k, values))] = resolve(v, values);
    return out;
  }
  return node;
}

/** Which fields an outline keeps, per level; `true` keeps the whole value. */
type Pick = { [key: string]: Pick | true };
const OUTLINE: Pick = {
  apiVersion: true,
  kind: true,
  metadata: { name: true },
  spec: { replicas: true, scaleTargetRef: true },
};

function outline(node: unknown, values: readonly string[], pick: Pick = OUTLINE): unknown {
  if (node === null || typeof node !== 'object' || Array.isArray(node))
    return resolve(node, values);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const key = String(resolveString(k, values));
    const want = pick[key];
    if (want === true) out[key] = resolve(v, values);
    else if (want !== undefined) {
      const inner = v !== null && typeof v === 'object' && !Array.isArray(v);
      out[key] = inner ? outline(v, values, want) : resolve(v, values);
    }
  }
  return out;
}

function resolveString(s: string, values: readonly string[]): unknown {
  if (s.startsWith(MARK) && DIGITS.test(s.slice(1))) {
    return decodeQuoted(values[Number(s.slice(1))] ?? '""');
  }
  return s.includes('"\\u0001') ? s.replace(INLINE, (_, i: string) => values[Number(i)] ?? '') : s;
}

/**
 * A double-quoted YAML scalar's value. The template engine writes JSON strings, so
 * JSON.parse almost always does; YAML-only escapes (`\x41`, `\e` ...) in a template's own
 * text take the slower YAML parser.
 */
function decodeQuoted(quoted: string): unknown {
  try {
    return JSON.parse(quoted) as unknown;
  } catch {
    return parse(quoted) as unknown;
  }
}
