/**
 * Glob patterns as Argo CD matches `ignoreDifferences` groups and kinds (util/glob, on
 * github.com/gobwas/glob without separators): `*` any run of characters, `?` one character,
 * `[abc]`, `[a-z]`, `[!abc]` one of (or none of) a set, `{a,b}` one of the alternatives,
 * `\` escapes the next character. The empty pattern matches only the empty string, so an
 * omitted `group` means the core group. A pattern that does not compile matches nothing,
 * as in Argo CD (which logs a warning).
 */

const cache = new Map<string, RegExp | null>();

/** True when `text` matches `pattern` the way Argo CD's glob.Match decides. */
export function argoGlobMatch(pattern: string, text: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    cache.set(pattern, re);
  }
  return re !== null && re.test(text);
}

/** The pattern as a RegExp, or null when gobwas/glob would refuse it. */
export function compile(pattern: string): RegExp | null {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return null;
      out += escape(next);
      i++;
    } else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return null;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body === '') return null;
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += escape(c);
  }
  if (depth !== 0) return null;
  return new RegExp(`^${out}$`, 'u');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
