/**
 * Escaping for text that comes from manifests or clusters (object names, field paths,
 * manager names, error messages) before it goes into a GitHub comment or job summary.
 *
 * GitHub renders comments as Markdown with inline HTML, then links @-mentions, #issue
 * references and bare URLs in the resulting text. A name is attacker-controlled as soon
 * as someone can open a pull request, so escaped text must not be able to:
 *   - start Markdown syntax (emphasis, links, images, tables, headings, math),
 *   - open or close HTML elements (or end our `<details>` sections early),
 *   - notify people or teams (`@someone`) or cross-reference issues (`#123`),
 *   - turn into a clickable link (`https://…`, `www.…`),
 *   - hide or reorder text with control or bidirectional-override characters.
 *
 * The approach is one escaper for every inline context (table cells, headings,
 * `<summary>`, `<code>`): ASCII punctuation becomes a numeric character reference, which
 * both the Markdown parser and the HTML parser decode back to the same visible character
 * after parsing, and a zero-width space after `@`, `#`, `://` and `www` stops GitHub's
 * post-processing from linking the decoded text. Code blocks get their own function.
 */

/** Characters kept as they are: letters, digits, space and punctuation with no meaning here. */
const SAFE_ASCII = /[A-Za-z0-9 ,.;:/=?%^-]/;

/** Control characters and bidirectional controls that could hide or reorder text. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const ZERO_WIDTH_SPACE = '&#8203;';

/**
 * Escapes untrusted text for any inline position of a comment: table cell, heading,
 * `<summary>`, `<code>`, link text. Newlines become spaces (inline text is one line).
 */
export function escapeInline(text: string): string {
  const flat = text.replace(/\r\n?|\n/g, ' ').replace(INVISIBLE, '\ufffd');
  let out = '';
  for (let i = 0; i < flat.length; i++) {
    const ch = flat[i];
    if (ch === '@' || ch === '#') {
      out += `&#${ch.charCodeAt(0)};${ZERO_WIDTH_SPACE}`;
    } else if (ch === ':' && flat.startsWith('//', i + 1)) {
      out += `:${ZERO_WIDTH_SPACE}`;
    } else if ((ch === 'w' || ch === 'W') && /^www\./i.test(flat.slice(i, i + 4))) {
      out += `${flat.slice(i, i + 3)}${ZERO_WIDTH_SPACE}`;
      i += 2;
    } else if (ch.charCodeAt(0) < 128 && !SAFE_ASCII.test(ch)) {
      out += `&#${ch.charCodeAt(0)};`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Untrusted text shown in code style; safe in table cells and HTML blocks alike. */
export function inlineCode(text: string): string {
  return `<code>${escapeInline(text)}</code>`;
}

/**
 * A fenced code block holding untrusted lines. The fence is longer than any run of
 * backticks in the content, so no line can close it early; control characters are made
 * visible. GitHub neither renders HTML nor links mentions inside code blocks.
 */
export function codeBlock(lines: string[], language = ''): string {
  const clean = lines.map((l) => l.replace(/\r/g, '').replace(INVISIBLE, '\ufffd'));
  const longestRun = Math.max(0, ...clean.map((l) => longestBacktickRun(l)));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${language}\n${clean.join('\n')}\n${fence}`;
}

function longestBacktickRun(line: string): number {
  let longest = 0;
  for (const m of line.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

/**
 * A Markdown link to a file in the repository, or plain escaped text when the path is
 * not a safe repo-relative path (absolute, `..`, backslashes) or no URL base is known.
 */
export function fileLink(path: string, urlBase: string | undefined): string {
  const text = inlineCode(path);
  if (!urlBase || !isRepoRelative(path)) return text;
  return `[${text}](${urlBase}${encodePath(path)})`;
}

/** True for a plain repo-relative path such as `overlays/regions/us-east/kustomization.yaml`. */
export function isRepoRelative(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(path)) return false;
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Percent-encodes each path segment, including the characters that end a Markdown link. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((seg) =>
      encodeURIComponent(seg).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}
