import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/adapters/fs/read-config';
import { loadTemplates } from '../../src/adapters/templates';
import { planTree } from '../../src/core/plan/plan-tree';

/**
 * Golden trees: each test/golden/<case>/input/mr-drift.yaml must produce exactly the
 * files under test/golden/<case>/expected/ (same paths, same bytes). After an intended
 * change, run `UPDATE_GOLDEN=1 npx vitest run test/golden` and review the diff like code.
 */
const here = import.meta.dirname;
export const GOLDEN_CASES = readdirSync(here)
  .filter((d) => existsSync(join(here, d, 'input', 'mr-drift.yaml')))
  .sort();

describe('golden trees', () => {
  it('has the cases the issue asks for', () => {
    expect(GOLDEN_CASES).toEqual([
      'argocd-bundled',
      'argocd-in-cluster',
      'argocd-names-managed',
      'argocd-production',
      'flux-hub-managed',
      'flux-per-cluster',
      'routing-aga-argocd',
      'routing-cloudflare-flux-per-cluster',
      'routing-k8gb-flux-hub',
    ]);
  });

  for (const name of GOLDEN_CASES) {
    it(`${name}: the generated tree equals expected/`, () => {
      const config = loadConfig(join(here, name, 'input', 'mr-drift.yaml'));
      const plan = planTree(config, loadTemplates(), { configName: 'mr-drift.yaml' });
      const expectedDir = join(here, name, 'expected');
      if (process.env.UPDATE_GOLDEN === '1') {
        rmSync(expectedDir, { recursive: true, force: true });
        for (const f of plan) {
          mkdirSync(dirname(join(expectedDir, f.path)), { recursive: true });
          writeFileSync(join(expectedDir, f.path), f.content);
        }
      }
      const expected = listFiles(expectedDir);
      expect(plan.map((f) => f.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(
        expected,
      );
      for (const f of plan) {
        expect(f.content, f.path).toBe(readFileSync(join(expectedDir, f.path), 'utf8'));
      }
    });
  }

  it('the committed overlays/ is the golden argocd-bundled tree (same config)', () => {
    // The bundled config and this golden case differ only in the schema comment.
    const bundled = readFileSync(join(here, '../../mr-drift.yaml'), 'utf8');
    const golden = readFileSync(join(here, 'argocd-bundled/input/mr-drift.yaml'), 'utf8');
    const strip = (s: string): string => s.replace(/^# yaml-language-server:.*\n/, '');
    expect(strip(golden)).toBe(strip(bundled));
    const overlays = join(here, '../../overlays');
    const expectedDir = join(here, 'argocd-bundled/expected');
    expect(listFiles(overlays)).toEqual(listFiles(expectedDir));
    for (const f of listFiles(overlays)) {
      expect(readFileSync(join(overlays, f), 'utf8'), f).toBe(
        readFileSync(join(expectedDir, f), 'utf8'),
      );
    }
  });
});

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
