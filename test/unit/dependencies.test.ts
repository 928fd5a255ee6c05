import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { declaredDependencies } from '../../eslint.dependencies.js';

// package.json says what the product needs: the lint rule keeps every import declared (and
// src/ off devDependencies), and every dependency is imported by src/ (else it is a
// devDependency or nothing). Why each package is used, or not, is in CONTRIBUTING.md.

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  overrides?: Record<string, unknown>;
};

describe('the lint rule for declared dependencies', () => {
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...declaredDependencies,
    ],
  });
  const flagged = async (file: string, source: string): Promise<string[]> => {
    const [result] = await eslint.lintText(`${source}\nexport const x = 1;\n`, {
      filePath: join(root, file),
    });
    return result.messages
      .filter((m) => m.ruleId === 'import-x/no-extraneous-dependencies')
      .map((m) => m.message);
  };

  it.each([
    // A devDependency bundled into dist/ would be missing from a production install.
    ['src/core/x.ts', "import addFormats from 'ajv-formats';", 'should be listed in the project'],
    [
      'src/adapters/x.ts',
      "import MarkdownIt from 'markdown-it';",
      'should be listed in the project',
    ],
    // A package only another package depends on: here today, gone after its next release.
    ['src/adapters/x.ts', "import tunnel from 'tunnel';", 'should be listed in the project'],
    ['test/unit/x.test.ts', "import tunnel from 'tunnel';", 'should be listed in the project'],
    ['bench/x.ts', "const m = await import('openid-client');", 'should be listed in the project'],
  ])('refuses in %s: %s', async (file, source, why) => {
    const messages = await flagged(file, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(why);
  });

  it('allows dependencies everywhere, devDependencies outside src/, and type-only imports', async () => {
    for (const [file, source] of [
      ['src/adapters/x.ts', "import { parse } from 'yaml';"],
      ['src/adapters/x.ts', "import Bottleneck from 'bottleneck/light.js';"],
      ['src/adapters/x.ts', "const m = await import('@kubernetes/client-node');"],
      ['src/adapters/x.ts', "import type { Options } from 'markdown-it';"],
      ['test/unit/x.test.ts', "import addFormats from 'ajv-formats';"],
      ['bench/x.ts', "import { build } from 'esbuild';"],
    ])
      expect(await flagged(file, source), `${file}: ${source}`).toEqual([]);
  });
});

/** Every module specifier in src/ (static imports, re-exports and dynamic imports). */
function specifiersInSrc(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) found.add(m[1]);
      }
    }
  };
  walk(join(root, 'src'));
  return found;
}

describe('package.json', () => {
  const used = specifiersInSrc();
  const imports = (name: string) => [...used].some((s) => s === name || s.startsWith(`${name}/`));

  it.each(Object.keys(pkg.dependencies))('dependency %s is imported by src/', (name) => {
    expect(imports(name)).toBe(true);
  });

  it('lists no package twice', () => {
    const both = Object.keys(pkg.dependencies).filter((n) => n in pkg.devDependencies);
    expect(both).toEqual([]);
  });

  it('explains every override in CONTRIBUTING.md', () => {
    const contributing = readFileSync(join(root, 'CONTRIBUTING.md'), 'utf8');
    const pins = contributing.slice(contributing.indexOf('## Dependency pins'));
    for (const [name, version] of Object.entries(pkg.overrides ?? {}))
      expect(pins, name).toContain(`\`${name}\` ${String(version)}`);
  });
});
