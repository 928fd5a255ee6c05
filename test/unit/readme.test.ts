import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { checkCommand } from '../../src/cli/check-command';
import { generateCommand } from '../../src/cli/generate-command';

// The README is the front door and docs/ the reference a newcomer follows: the option
// tables must list exactly the options the commands accept, the README's Action snippet
// must use only inputs the Action has, every link must lead to a file and heading that
// exist, and dated figures live on one page only.

const root = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Every Markdown page of the documentation, relative to the repository root. */
function docPages(): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', 'CONTRIBUTING.md', 'test/cluster/README.md', ...docs].sort();
}

/** The part of a page between a heading and the next heading of the same or a higher level. */
function section(page: string, heading: string): string {
  const text = read(page);
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `${page}: heading ${heading}`).toBeGreaterThan(-1);
  const level = heading.split(' ')[0].length;
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The long flags in the first column of the option tables of a text. */
function tableFlags(text: string): string[] {
  return [...text.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]).sort();
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A page without its fenced code blocks (links and headings inside code do not count). */
function withoutCode(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** The anchors of a page's headings (the quoted comment's own headings included). */
function anchorsOf(text: string): Set<string> {
  return new Set(
    [...withoutCode(text).matchAll(/^(?:> )?#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])),
  );
}

describe('README and docs', () => {
  it('docs/generator.md lists every option of `mr-drift generate`, and no other', () => {
    const flags = generateCommand()
      .options.map((o) => o.long!)
      .sort();
    expect(tableFlags(section('docs/generator.md', '## Options'))).toEqual(flags);
  });

  it('docs/drift.md lists every option of `mr-drift check`, and no other', () => {
    const flags = checkCommand()
      .options.map((o) => o.long!)
      .sort();
    expect(tableFlags(section('docs/drift.md', '## Options'))).toEqual(flags);
  });

  it('the README’s workflow snippet uses only inputs the Action declares', () => {
    const action = load(read('action.yml')) as { inputs: Record<string, unknown> };
    const snippet = /```yaml\n([\s\S]*?)```/.exec(read('README.md'))?.[1];
    expect(snippet, 'a yaml block in the README').toBeDefined();
    const workflow = load(snippet!) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    const step = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .find((s) => s.uses?.startsWith('alfred/mr-drift@'));
    expect(step?.with, 'the mr-drift step and its inputs').toBeDefined();
    for (const input of Object.keys(step!.with!))
      expect(Object.keys(action.inputs)).toContain(input);
  });

  it('every link leads to a file that exists, and to a heading that exists there', () => {
    const broken: string[] = [];
    let links = 0;
    for (const page of docPages()) {
      const text = withoutCode(read(page));
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        links++;
        const [file, anchor] = target.split('#');
        const path = file ? resolve(dirname(join(root, page)), file) : join(root, page);
        if (!existsSync(path)) {
          broken.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (
          anchor &&
          !(statSync(path).isFile() && anchorsOf(readFileSync(path, 'utf8')).has(anchor))
        )
          broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(root, path)})`);
      }
    }
    expect(links).toBeGreaterThan(30);
    expect(broken).toEqual([]);
  });

  it('keeps dated figures on docs/benchmarks.md only', () => {
    // A figure pinned to a commit ("at commit 75a85b2", "(commit 16a204b, medians of 7)").
    const dated = /\bcommits? [0-9a-f]{7,40}\b/;
    expect(read('docs/benchmarks.md')).toMatch(dated);
    const elsewhere = docPages()
      .filter((p) => p !== 'docs/benchmarks.md')
      .filter((p) => dated.test(read(p)));
    expect(elsewhere).toEqual([]);
  });

  it('keeps the README a front door: short, and linking every reference page', () => {
    const readme = read('README.md');
    expect(readme.length).toBeLessThan(16_000);
    for (const page of docPages().filter(
      (p) => p.startsWith('docs/') && !p.includes('/decisions/'),
    ))
      expect(readme, page).toContain(`](${page})`);
  });
});
