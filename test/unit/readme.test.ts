import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check-command';
import { generateCommand } from '../../src/cli/generate-command';
import { OUTPUT_NAMES } from '../../src/action/inputs';

// The README is what a newcomer follows: its option tables must list exactly the options
// the commands accept, and every link inside it must lead to a heading that exists.

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The section of the README between a heading and the next heading of the same level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README heading ${heading}`).toBeGreaterThan(-1);
  const level = heading.split(' ')[0];
  const next = readme.indexOf(`\n${level} `, start + heading.length + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** The long flags in the first column of the option tables of a README section. */
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

describe('README', () => {
  it('lists every option of `mr-drift generate`, and no other', () => {
    const flags = generateCommand()
      .options.map((o) => o.long!)
      .sort();
    expect(tableFlags(section('## Generating the GitOps tree'))).toEqual(flags);
  });

  it('lists every option of `mr-drift check`, and no other', () => {
    const flags = checkCommand()
      .options.map((o) => o.long!)
      .sort();
    expect(tableFlags(section('### CLI reference'))).toEqual(flags);
  });

  it('names every output of the Action', () => {
    const action = section('## The GitHub Action');
    for (const name of OUTPUT_NAMES) expect(action).toContain(`\`${name}\``);
  });

  it('has a heading for every link inside it', () => {
    // Headings outside code blocks (the quoted comment's own heading included).
    const withoutCode = readme.replace(/^```[\s\S]*?^```/gm, '');
    const anchors = new Set(
      [...withoutCode.matchAll(/^(?:> )?#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])),
    );
    const links = [...withoutCode.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((l) => !anchors.has(l))).toEqual([]);
  });
});
