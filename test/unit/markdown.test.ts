import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { renderMarkdownReport, measureText } from '../../src/core/report/markdown';
import {
  commentMarker,
  commentSize,
  parseCommentMarker,
  renderCommentParts,
  GITHUB_COMMENT_LIMIT,
} from '../../src/core/report/markdown-comment';
import { escapeInline, codeBlock, fileLink } from '../../src/core/report/markdown-escape';
import { bigRegion, changed, field, region, report } from '../support/reports';

// A CommonMark parser with GFM tables and raw HTML, as GitHub renders comments. The tests
// look at the HTML it produces, not at our Markdown text, so they catch escaping that
// "looks" right but parses wrong.
const md = new MarkdownIt({ html: true, linkify: true });
const toHtml = (markdown: string) => md.render(markdown);
const count = (text: string, needle: string) => text.split(needle).length - 1;

const threeRegions = () =>
  report([
    region('us-east', [
      changed('alfred-api', [
        field('/spec/replicas', 3, 5),
        field('/metadata/labels/team', undefined, 'payments', { manager: 'kubectl-label' }),
      ]),
      changed('alfred-cache', [], { type: 'missing', kind: 'StatefulSet' }),
    ]),
    region('eu-west'),
    region('ap-southeast', [], {
      status: 'error',
      error: 'region ap-southeast: Unauthorized (401)',
      objects: undefined,
    }),
  ]);

describe('renderMarkdownReport', () => {
  it('puts a per-region table with status and counts at the top', () => {
    const html = toHtml(renderMarkdownReport(threeRegions()));
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]),
    );
    expect(rows).toEqual([
      ['Region', 'Status', 'Objects', 'Missing', 'Changed', 'Extra'],
      ['us-east', '⚠️ drift', '12', '1', '1', '0'],
      ['eu-west', '✅ in sync', '12', '0', '0', '0'],
      ['ap-southeast', '❌ error', '–', '–', '–', '–'],
    ]);
    expect(html).toContain('1 region could not be checked, drift in 1 of 3 regions');
  });

  it('gives each drifted or failed region a collapsible section with diff blocks', () => {
    const html = toHtml(
      renderMarkdownReport(threeRegions(), { fileUrlBase: 'https://github.com/o/r/blob/abc/' }),
    );
    expect(count(html, '<details')).toBe(2);
    expect(count(html, '</details>')).toBe(2);
    expect(html).toContain('<summary><b>us-east</b> · drift: 2 objects</summary>');
    expect(html).toContain('<summary><b>ap-southeast</b> · error</summary>');
    // The diff block: Git value with -, cluster value with +, who and when in the hunk header.
    expect(html).toContain(
      '@@ /spec/replicas @@ by kubectl-edit at 2026-11-26 09:10:03 UTC\n- 3\n+ 5\n',
    );
    expect(html).toContain('@@ /metadata/labels/team @@ added in the cluster by kubectl-label');
    expect(html).toContain('class="language-diff"');
    expect(html).toContain(
      '<a href="https://github.com/o/r/blob/abc/overlays/regions/us-east/kustomization.yaml">',
    );
    expect(html).toContain('Unauthorized (401)');
    expect(html).toContain('missing from the cluster');
  });

  it('includes run details only when asked', () => {
    const r = threeRegions();
    expect(renderMarkdownReport(r)).toContain(r.source.revision!);
    expect(renderMarkdownReport(r, { runDetails: false })).not.toContain(r.source.revision!);
  });

  it('shows Secret fields as fingerprints only', () => {
    const r = report([
      region('us-east', [
        changed('db', [field('/data/password', 'fp:1a2b', 'fp:3c4d', { redacted: true })], {
          kind: 'Secret',
          apiVersion: 'v1',
        }),
      ]),
    ]);
    const text = renderMarkdownReport(r);
    expect(text).toContain('- (secret value; fingerprint fp:1a2b)');
    expect(text).toContain('+ (secret value; fingerprint fp:3c4d)');
  });

  it('lists what ignore rules hid, so nothing disappears silently', () => {
    const r = report([
      region('eu-west', [], {
        ignored: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: 'alfred',
            name: 'api',
            path: '/spec/replicas',
            rule: '#0 HPA owns replicas',
          },
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            namespace: 'alfred',
            name: 'tmp',
            path: '',
            rule: '#1 scratch maps',
          },
        ],
      }),
    ]);
    const html = toHtml(renderMarkdownReport(r));
    expect(html).toContain('2 fields hidden by ignore rules');
    expect(html).toContain('<code>/spec/replicas</code>: #\u200b0 HPA owns replicas');
    expect(html).toContain('<code>alfred/tmp</code> (whole object)');
  });

  it('keeps a summary under a byte budget by summarising objects', () => {
    const r = report([bigRegion('us-east', 300, 2_000)]);
    const full = renderMarkdownReport(r);
    expect(measureText(full, 'utf8-bytes')).toBeGreaterThan(1_000_000);
    const capped = renderMarkdownReport(r, {
      maxSize: 1_000_000,
      sizeUnit: 'utf8-bytes',
      fullReportNote: 'See the JSON report.',
    });
    expect(measureText(capped, 'utf8-bytes')).toBeLessThanOrEqual(1_000_000);
    expect(capped).toMatch(/\*\*\d+ more drifted objects in 1 region not shown here\*\*/);
    expect(capped).toContain('See the JSON report.');
  });
});

describe('escaping of names and values from manifests', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '</details></summary><script>alert(1)</script>',
    '@octocat and @org/team',
    '[click](https://evil.example) ![img](https://evil.example/x.png)',
    '**bold** _em_ `code` ~~strike~~ $x^2$',
    'a | b | c',
    '#1 www.evil.example http://evil.example',
    'line1\nline2\r\n# heading',
    'right-to-left \u202e override \u0007 bell',
    '&lt;already-escaped&gt; &amp;',
  ];

  for (const text of hostile) {
    it(`renders ${JSON.stringify(text)} as inert text`, () => {
      const r = report([
        region(text, [
          changed(text, [field(text, text, text, { manager: text })], {
            kind: text,
            namespace: text,
            source: text,
          }),
        ]),
      ]);
      const html = toHtml(
        renderMarkdownReport(r, { fileUrlBase: 'https://github.com/o/r/blob/abc/' }),
      );
      // Structure is intact: one table (2 rows, 6 cells each), one section, one diff block.
      expect(count(html, '<table>')).toBe(1);
      expect(count(html, '<tr>')).toBe(2);
      for (const row of html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)) {
        expect(count(row[1], '<t')).toBe(6);
      }
      expect(count(html, '<details')).toBe(1);
      expect(count(html, '</details>')).toBe(1);
      expect(count(html, '<pre>')).toBe(1);
      // No element or link came from the text: only our own heading, bold kind and file link.
      expect(count(html, '<h3>')).toBe(1);
      expect(count(html, '<strong>')).toBe(1);
      expect(html).not.toMatch(/<\/?(img|script|em|s|del|h[1-246]|ul|ol|li|blockquote)[\s>]/);
      for (const a of html.matchAll(/<a [^>]*>/g)) {
        expect(a[0]).toMatch(/^<a href="https:\/\/github\.com\/o\/r\/blob\/abc\/[^"]+">$/);
      }
      // Outside code blocks, every @, # and URL is broken by a zero-width space.
      const outsideCode = html
        .replace(/<pre>[\s\S]*?<\/pre>/g, '')
        .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
      expect(outsideCode).not.toMatch(/[@#](?!\u200b)/);
      expect(outsideCode).not.toMatch(/https?:\/\/evil|www\.evil/);
      // Invisible controls are replaced everywhere.
      expect(html.includes('\u202e') || html.includes('\u0007')).toBe(false);
    });
  }

  it('does not let backticks in a value close the diff block', () => {
    const value = 'before\n```\n  ````\nafter';
    const r = report([region('us-east', [changed('x', [field('/data/script', value, 'y')])])]);
    const html = toHtml(renderMarkdownReport(r));
    expect(count(html, '<pre>')).toBe(1);
    expect(html).toContain('- before\n- ```\n-   ````\n- after\n+ y\n');
  });

  it('escapes inline text to entities that decode back to the original characters', () => {
    const text = 'a<b>&"c\'[d](e)*_`|~$!{}';
    const html = toHtml(escapeInline(text));
    const decoded = html
      .replace(/<\/?p>\n?/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    expect(decoded).toBe(text);
  });

  it('builds a fence longer than any backtick run', () => {
    expect(codeBlock(['x ````` y'])).toMatch(/^``````\n/);
  });

  it('links only plain repo-relative paths, percent-encoding the unsafe characters', () => {
    const base = 'https://github.com/o/r/blob/abc/';
    expect(fileLink('a b/(c).yaml', base)).toContain(
      '(https://github.com/o/r/blob/abc/a%20b/%28c%29.yaml)',
    );
    expect(fileLink('../etc/passwd', base)).toBe(
      '<code>..&#47;etc&#47;passwd</code>'.replace(/&#47;/g, '/'),
    );
    expect(fileLink('/abs/file.yaml', base)).not.toContain('](');
    expect(fileLink('ok.yaml', undefined)).not.toContain('](');
  });
});

describe('renderCommentParts', () => {
  it('renders one part for a small report, identified by its marker', () => {
    const parts = renderCommentParts(threeRegions());
    expect(parts).toHaveLength(1);
    expect(parseCommentMarker(parts[0])).toEqual({ key: 'default', part: 1 });
    expect(parts[0]).not.toContain('part 1 of');
  });

  it('leaves out Secret fingerprints, which change every run', () => {
    const secret = (fp: string) =>
      report([
        region('us-east', [
          changed('db', [field('/data/password', 'hmac:aaaa', fp, { redacted: true })], {
            kind: 'Secret',
            apiVersion: 'v1',
          }),
        ]),
      ]);
    const [a] = renderCommentParts(secret('hmac:1111'));
    const [b] = renderCommentParts(secret('hmac:2222'));
    expect(a).toBe(b);
    expect(a).not.toContain('hmac:');
    expect(a).toContain('- (Secret value, not shown)\n+ (a different Secret value, not shown)');
  });

  it('holds nothing run-specific, so an unchanged state gives an identical body', () => {
    const a = threeRegions();
    const b = { ...threeRegions(), generatedAt: '2030-01-01T00:00:00Z' };
    b.source = { ...b.source, revision: 'ffffffffffffffffffffffffffffffffffffffff' };
    expect(renderCommentParts(b)).toEqual(renderCommentParts(a));
  });

  it('splits a long report on object boundaries, each part under GitHub’s limit', () => {
    const r = report([bigRegion('us-east', 120, 900), bigRegion('eu-west', 60, 900)]);
    const parts = renderCommentParts(r, { fullReportNote: 'Full report: job summary.' });
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThanOrEqual(10);
    const names: string[] = [];
    parts.forEach((p, i) => {
      expect(commentSize(p)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
      expect(parseCommentMarker(p)).toEqual({ key: 'default', part: i + 1 });
      if (i > 0) expect(p).toContain(`part ${i + 1} of ${parts.length}`);
      if (i < parts.length - 1) expect(p).toContain(`(part ${i + 2} of ${parts.length})`);
      const html = toHtml(p);
      expect(count(html, '<details')).toBe(count(html, '</details>'));
      // Each object is whole: its heading and its complete diff block are in the same part.
      for (const m of p.matchAll(/<code>alfred\/([a-z-]+-api-\d{4})<\/code>/g)) names.push(m[1]);
      expect(count(html, '<pre>')).toBe(count(p, '**Deployment**'));
    });
    // Every object appears exactly once across the parts: nothing lost, nothing repeated.
    expect(names).toHaveLength(180);
    expect(new Set(names).size).toBe(180);
    expect(parts.at(-1)).toContain('This report was split into');
    expect(parts.at(-1)).toContain('Full report: job summary.');
  });

  it('summarises what does not fit in maxParts comments and says where the rest is', () => {
    const r = report([bigRegion('us-east', 400, 900), bigRegion('eu-west', 100, 900)]);
    const parts = renderCommentParts(r, { maxParts: 3, fullReportNote: 'See the job summary.' });
    expect(parts).toHaveLength(3);
    const shown = parts.reduce((n, p) => n + count(p, '**Deployment**'), 0);
    const m = /\*\*(\d+) more drifted objects in (\d) regions? not shown here\*\*/.exec(parts[2]);
    expect(m).not.toBeNull();
    expect(shown + Number(m![1])).toBe(500);
    expect(parts[2]).toContain('See the job summary.');
    for (const p of parts) expect(commentSize(p)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });

  it('fits a single huge object by showing it with less detail', () => {
    const fields = Array.from({ length: 3_000 }, (_, i) =>
      field(`/data/key-${i}`, 'x'.repeat(5_000), 'y'.repeat(5_000)),
    );
    const r = report([region('us-east', [changed('huge', fields, { kind: 'ConfigMap' })])]);
    const parts = renderCommentParts(r);
    expect(parts).toHaveLength(1);
    expect(commentSize(parts[0])).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(parts[0]).toContain('more fields @@');
    expect(parts[0]).toMatch(/… \(\d+ more characters\)/);
  });

  it('honours a smaller limit and a custom key', () => {
    const r = report([bigRegion('us-east', 40, 500)]);
    const parts = renderCommentParts(r, { maxChars: 10_000, key: 'prod' });
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) {
      expect(commentSize(p)).toBeLessThanOrEqual(10_000);
      expect(parseCommentMarker(p)?.key).toBe('prod');
    }
  });

  it('rejects marker keys that could break out of the HTML comment', () => {
    expect(() => commentMarker('a -->', 1)).toThrow();
    expect(parseCommentMarker('<!-- mr-drift:comment key=x part=0 -->')).toBeUndefined();
    expect(parseCommentMarker('hello <!-- mr-drift:comment key=x part=1 -->')).toBeUndefined();
  });
});
