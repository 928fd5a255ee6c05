import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { rings } from '../../eslint.rings.js';

// The rings of docs/architecture.md hold by themselves: the lint rule that guards them
// fires on each kind of forbidden import (and on nothing allowed), and src has no import
// cycle.

const root = join(import.meta.dirname, '../..');

describe('the lint rule for the rings', () => {
  // Only the rings' blocks, on the TypeScript parser: the same rule definitions as
  // `npm run lint`, without the type-checked rules that need the whole program.
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...rings,
    ],
  });
  const restricted = async (file: string, source: string): Promise<string[]> => {
    const [result] = await eslint.lintText(`${source}\nexport const x = 1;\n`, { filePath: file });
    return result.messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => m.message);
  };

  it.each([
    ["import { readFileSync } from 'node:fs';", 'no Node I/O'],
    ["import { readFile } from 'fs/promises';", 'no Node I/O'],
    ["import { execFile } from 'node:child_process';", 'no Node I/O'],
    ["import * as core from '@actions/core';", 'Actions toolkit'],
    ["import { listObjects } from '../../adapters/kube/read-live';", 'imports no adapter'],
    ["import { runCheck } from '../../pipeline/run-check';", 'imports no adapter and no pipeline'],
    ["import { CLI_WORDING } from '../../cli/cli-wording';", 'entry points'],
  ])('refuses in src/core: %s', async (source, why) => {
    const messages = await restricted(join(root, 'src/core/compare/x.ts'), source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(why);
  });

  it('allows core its pure imports: hashing, libraries, other core modules', async () => {
    for (const source of [
      "import { createHash } from 'node:crypto';",
      "import { parseDocument } from 'yaml';",
      "import { objectKey } from './kube-object';",
      "import type { Finding } from '../report/model';",
    ])
      expect(await restricted(join(root, 'src/core/compare/x.ts'), source), source).toEqual([]);
  });

  it('refuses the entry points below them, and the pipeline in adapters', async () => {
    const adapter = join(root, 'src/adapters/kube/x.ts');
    const pipeline = join(root, 'src/pipeline/x.ts');
    expect(
      await restricted(adapter, "import { CLI_WORDING } from '../../cli/cli-wording';"),
    ).toHaveLength(1);
    expect(
      await restricted(adapter, "import { runCheck } from '../../pipeline/run-check';"),
    ).toHaveLength(1);
    expect(
      await restricted(pipeline, "import { ACTION_WORDING } from '../action/input-wording';"),
    ).toHaveLength(1);
    // Where I/O belongs it is allowed.
    expect(await restricted(adapter, "import { readFileSync } from 'node:fs';")).toEqual([]);
    expect(
      await restricted(
        pipeline,
        "import { readIgnoreFile } from '../adapters/fs/read-ignore-file';",
      ),
    ).toEqual([]);
  });
});

describe('imports in src', () => {
  /** Each module's relative imports, resolved to repository paths. */
  function importGraph(): Map<string, string[]> {
    const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join('src', f));
    const known = new Set(files);
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      const targets = [...text.matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)]
        // Type-only imports are erased at run time but still tie modules together: kept.
        .map((m) => relative(root, resolve(root, dirname(file), m[1])))
        .map((t) => (known.has(`${t}.ts`) ? `${t}.ts` : join(t, 'index.ts')))
        .filter((t) => known.has(t));
      graph.set(file, targets);
    }
    return graph;
  }

  /** Every cycle found by a depth-first walk, each as the chain of modules. */
  function cycles(graph: Map<string, string[]>): string[][] {
    const found: string[][] = [];
    const done = new Set<string>();
    const walk = (node: string, path: string[]) => {
      const at = path.indexOf(node);
      if (at >= 0) return void found.push([...path.slice(at), node]);
      if (done.has(node)) return;
      for (const next of graph.get(node) ?? []) walk(next, [...path, node]);
      done.add(node);
    };
    for (const node of graph.keys()) walk(node, []);
    return found;
  }

  it('form no cycle', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(90);
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle finder finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
