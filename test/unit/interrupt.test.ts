import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * An interrupted `check --base` (Ctrl-C, a cancelled CI job) must not leave its copy of the
 * base revision behind: the signal becomes an ordinary exit, which removes it.
 */
const work = mkdtempSync(join(tmpdir(), 'mr-drift-interrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const repo = join(work, 'repo');
execFileSync('git', ['init', '-q', repo]);
writeFileSync(join(repo, 'kustomization.yaml'), 'resources: []\n');
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
git('add', '.');
git('commit', '-qm', 'base');

const child = new URL('./fixtures/hold-base-tree.ts', import.meta.url).pathname;
const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s while the base tree is on disk', (signal, code) => {
  it(`removes the tree and exits ${code}`, async () => {
    const parent = mkdtempSync(join(work, `${signal}-`));
    const proc = spawn(tsx, [child, repo, parent], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const root = await new Promise<string>((resolve, reject) => {
      proc.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      proc.once('exit', () => reject(new Error(`child ended early: ${stderr}`)));
    });
    // The tree really was written before the signal.
    expect(existsSync(join(root, 'kustomization.yaml'))).toBe(true);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    expect(await exited).toBe(code);
    expect(stderr).toContain(`interrupted (${signal}); removing temporary files`);
    expect(existsSync(root)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  }, 30_000);
});
