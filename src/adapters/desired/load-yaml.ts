/**
 * Loads multi-document YAML the way kubectl, Argo CD and Flux read manifests: YAML 1.1
 * scalars as Go's yaml.v2 resolves them (`yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0644`
 * is octal, `0x1F` hex, `1_000` an int), and no timestamps or binary tags (values stay
 * strings). Built on js-yaml 4, several times faster than the full YAML library on large
 * kustomize outputs.
 *
 * Documents are split at column-0 `---` lines (where YAML itself ends a document), so each
 * document's starting line is known for messages. Error messages carry the reason and the
 * position only, never the quoted text, which may be a Secret value.
 */
import jsyaml from 'js-yaml';
import type { Problem } from '../../core/errors';

const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;

const bool11 = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (TRUE.test(data) || FALSE.test(data)),
  construct: (data: string) => TRUE.test(data),
  predicate: (v: unknown) => typeof v === 'boolean',
});

const INT = /^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*)$/;

const int11 = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && INT.test(data) && !/_$/.test(data),
  construct: (data: string) => {
    const text = data.replace(/_/g, '');
    const sign = text.startsWith('-') ? -1 : 1;
    const digits = text.replace(/^[-+]/, '');
    if (/^0b/.test(digits)) return sign * parseInt(digits.slice(2), 2);
    if (/^0x/.test(digits)) return sign * parseInt(digits.slice(2), 16);
    if (/^0o?[0-7]+$/.test(digits) && digits !== '0')
      return sign * parseInt(digits.replace(/^0o?/, ''), 8);
    return sign * parseInt(digits, 10);
  },
  predicate: (v: unknown) => typeof v === 'number' && Number.isInteger(v),
});

const FLOAT =
  /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const float11 = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && FLOAT.test(data),
  construct: (data: string) => {
    const text = data.replace(/_/g, '');
    if (/nan$/i.test(text)) return NaN;
    if (/inf$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    return parseFloat(text);
  },
  predicate: (v: unknown) => typeof v === 'number',
});

// js-yaml 4 exports its built-in types at run time; its type declarations omit them.
const builtin = (jsyaml as unknown as { types: { null: jsyaml.Type; merge: jsyaml.Type } }).types;

/** Null, bool, int, float (in that order) and `<<` merge keys; everything else is a string. */
const SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, bool11, int11, float11, builtin.merge],
});

/** One document: its value and the 1-based line it starts on. */
export interface YamlDocument {
  value: unknown;
  line: number;
}

/** Splits at column-0 `---` lines; a `---` line with content after it is kept with its document. */
function splitDocuments(
  text: string,
): Array<{ text: string; line: number; start: number; last: number }> {
  const lines = text.split('\n');
  const docs: Array<{ text: string; line: number; start: number; last: number }> = [];
  let start = 0;
  const flush = (end: number) => {
    // The line a reader would point at: the first one with content.
    let first = start;
    while (first < end - 1 && !/^\s*[^\s#]/.test(lines[first])) first++;
    let last = end - 1;
    while (last > first && !/\S/.test(lines[last])) last--;
    docs.push({
      text: lines.slice(start, end).join('\n'),
      line: first + 1,
      start: start + 1,
      last: last + 1,
    });
  };
  lines.forEach((l, i) => {
    if (/^---(?:\s|$)/.test(l)) {
      flush(i);
      // `--- {a: 1}` carries content: keep the line (minus the marker) in the next document.
      lines[i] = l.slice(3);
      start = i;
    }
  });
  flush(lines.length);
  return docs;
}

/** A byte-order mark: editors on Windows write one, and files concatenated from such files carry one per document. */
const BOM = /^\uFEFF/;
const BOM_AFTER_BLANKS = /^(\s*)\uFEFF/;

/**
 * Splits a stream of JSON values (`{...}{...}` or one per line), the way kubectl reads a
 * file that starts with `{`. Undefined when the text is not such a stream.
 */
function jsonStream(text: string): YamlDocument[] | undefined {
  const out: YamlDocument[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (/\s/.test(ch) || ch === '\uFEFF') {
      i++;
      continue;
    }
    if (ch !== '{') return undefined;
    // Find the end of this value: brackets balanced outside strings.
    const start = i;
    const startLine = line;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') line++;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) return undefined;
    try {
      out.push({ value: JSON.parse(text.slice(start, ++i)), line: startLine });
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * Loads every document of `text`; syntax problems are appended to `problems`. As kubectl
 * does, a text that starts with `{` may be a stream of JSON objects (with no `---` between
 * them); otherwise it is YAML, whose documents may themselves be JSON. A byte-order mark
 * at the start of the text or of a document is skipped, CRLF line ends are read as LF and
 * documents holding nothing (or only comments, `~`, `null`) are skipped.
 */
export function loadYamlDocuments(text: string, file: string, problems: Problem[]): YamlDocument[] {
  if (/^\uFEFF?\s*\{/.test(text)) {
    const values = jsonStream(text);
    if (values) return values.filter((d) => d.value !== null);
  }
  const out: YamlDocument[] = [];
  for (const doc of splitDocuments(text.replace(BOM, ''))) {
    try {
      const value = jsyaml.load(doc.text.replace(BOM_AFTER_BLANKS, '$1'), {
        schema: SCHEMA,
        filename: file,
      });
      if (value !== null && value !== undefined) out.push({ value, line: doc.line });
    } catch (e) {
      const err = e as { reason?: string; mark?: { line: number; column: number } };
      problems.push({
        file,
        // A problem found at the end of the document is reported on its last line.
        ...(err.mark && doc.start + err.mark.line <= doc.last
          ? { line: doc.start + err.mark.line, column: err.mark.column + 1 }
          : { line: doc.last }),
        message: `invalid YAML: ${err.reason ?? 'cannot be parsed'}`,
      });
    }
  }
  return out;
}
