import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeconfig } from '../../src/adapters/kube/kubeconfig';
import { CLI_WORDING } from '../../src/cli/cli-wording';
import { KubeconfigError } from '../../src/core/errors';

// The command line as a user meets it before any cluster is involved: help, usage errors,
// and the bad input that must stop `check` up front (exit 2, one clear message, nothing on
// stdout, no report). The kubeconfig here points at a closed port, so a check that went on
// to contact a cluster would show a region error on stdout instead.

const repo = join(import.meta.dirname, '../..');
let dir: string;
let kubeconfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-drift-check-cli-'));
  kubeconfig = join(dir, 'kubeconfig');
  const regions = ['us-east', 'eu-west', 'ap-southeast'];
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `current-context: us-east`,
      'clusters:',
      ...regions.map((r) => `  - name: ${r}\n    cluster: {server: 'https://127.0.0.1:1'}`),
      'users:',
      "  - name: someone\n    user: {token: 'not-a-real-token'}",
      'contexts:',
      ...regions.map((r) => `  - name: ${r}\n    context: {cluster: ${r}, user: someone}`),
    ].join('\n'),
  );
  mkdirSync(join(dir, 'home'));
  mkdirSync(join(dir, 'empty-bin'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the repository (its overlays/ is the default --path). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args],
      { cwd: repo, env: { ...process.env, NO_COLOR: '1', ...env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('help and usage', () => {
  it('no command is a usage error: the help on stderr, exit 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: mr-drift [options] [command]');
  });

  it('--help and `help check` exit 0; the help has examples and exit codes', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Examples:\n {2}mr-drift generate/);
    expect(top.stdout).toMatch(/Exit codes: 0 .*, 1 drift/);

    const check = await cli(['help', 'check']);
    expect(check.code).toBe(0);
    for (const flag of [
      '--path',
      '--regions',
      '--context',
      '--mode',
      '--base',
      '--report-file',
      '--parallel-regions',
      '--render-timeout',
    ])
      expect(check.stdout).toContain(flag);
    expect(check.stdout).toMatch(/Examples:\n {2}mr-drift check /);
    expect(check.stdout).toMatch(/Exit codes: 0 every region in sync, 1 drift .*, 2 an error/);
    // commander prints an empty repeatable option's default as "(default: [])"
    expect(check.stdout).not.toContain('[]');
  });
});

describe('bad input stops `check` before any cluster is contacted', () => {
  const stopsUpFront = (r: Result, message: string) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  };

  it('--render-timeout that is not a number of seconds above 0', async () => {
    for (const bad of ['0', 'soon'])
      stopsUpFront(
        await cli(['check', '--no-progress', '--render-timeout', bad]),
        'expected a number of seconds greater than 0',
      );
  });

  it('--parallel-regions that is not a whole number of at least 1', async () => {
    for (const bad of ['0', '1.5'])
      stopsUpFront(
        await cli(['check', '--no-progress', '--parallel-regions', bad]),
        'expected a whole number of at least 1',
      );
  });

  it('no kubeconfig at all (no --kubeconfig, no KUBECONFIG, no ~/.kube/config)', async () => {
    const home = join(dir, 'home');
    const r = await cli(['check', '--no-progress'], { KUBECONFIG: '', HOME: home });
    stopsUpFront(
      r,
      `error: no kubeconfig: --kubeconfig is not given, KUBECONFIG is not set, and ${home}/.kube/config does not exist\nhint: Pass --kubeconfig <file>, or set KUBECONFIG.`,
    );
  });

  it('KUBECONFIG naming a file that does not exist', async () => {
    const r = await cli(['check', '--no-progress'], {
      KUBECONFIG: `${kubeconfig}:${join(dir, 'nope')}`,
    });
    stopsUpFront(r, `error: KUBECONFIG names a file that does not exist: ${join(dir, 'nope')}`);
  });

  it('no kustomize and no kubectl on PATH: one error, not one per region', async () => {
    const r = await cli(['check', '--no-progress', '--kubeconfig', kubeconfig], {
      PATH: join(dir, 'empty-bin'),
    });
    stopsUpFront(r, 'error: kustomize (or kubectl) was not found on PATH\nhint: Install kubectl');
    expect(r.stderr.match(/not found on PATH/g)).toHaveLength(1);
  });

  it('--report-file in a folder that does not exist', async () => {
    const report = join(dir, 'no-such-folder', 'drift.json');
    const r = await cli([
      'check',
      '--no-progress',
      '--kubeconfig',
      kubeconfig,
      '--report-file',
      report,
    ]);
    stopsUpFront(
      r,
      `error: --report-file ${report}: the folder ${join(dir, 'no-such-folder')} does not exist`,
    );
    expect(existsSync(report)).toBe(false);
  });
});

describe('loadKubeconfig, as the check uses it', () => {
  const none = () => false;
  /** The error's text as the CLI prints it. */
  const failure = (load: () => unknown): string => {
    try {
      load();
    } catch (e) {
      expect(e).toBeInstanceOf(KubeconfigError);
      return (e as KubeconfigError).describe(CLI_WORDING);
    }
    throw new Error('expected a KubeconfigError');
  };
  it('falls back like kubectl and says what it looked for when nothing is there', () => {
    expect(failure(() => loadKubeconfig(undefined, { home: '/h', exists: none }))).toBe(
      'no kubeconfig: --kubeconfig is not given, KUBECONFIG is not set, and /h/.kube/config does not exist\nhint: Pass --kubeconfig <file>, or set KUBECONFIG.',
    );
    expect(
      failure(() =>
        loadKubeconfig(undefined, {
          kubeconfigVar: '/a:/b',
          home: '/h',
          exists: (f) => f === '/a',
        }),
      ),
    ).toContain('KUBECONFIG names a file that does not exist: /b');
    expect(failure(() => loadKubeconfig('/x', { exists: none }))).toContain(
      '--kubeconfig /x: no such file',
    );
  });

  it('loads the named file', () => {
    const kc = loadKubeconfig(kubeconfig, {});
    expect(kc.contextNames()).toEqual(['us-east', 'eu-west', 'ap-southeast']);
  });
});

describe('--render-timeout', () => {
  it('a kustomize build that outlasts it makes the region an error naming the option', async () => {
    // A remote resource whose server accepts the connection and never answers: the real
    // kustomize waits on it for ever, so only the timeout ends the build.
    const server = createServer(() => undefined);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const overlay = join(dir, 'slow', 'regions', 'us-east');
      mkdirSync(overlay, { recursive: true });
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        `resources:\n  - http://127.0.0.1:${port}/deploy.yaml\n`,
      );
      const started = Date.now();
      const r = await cli([
        'check',
        '--no-progress',
        '--path',
        join(dir, 'slow'),
        '--kubeconfig',
        kubeconfig,
        '--render-timeout',
        '1.5',
        '--output',
        'json',
      ]);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(r.code).toBe(2);
      const report = JSON.parse(r.stdout) as {
        regions: { name: string; status: string; error?: string }[];
      };
      expect(report.regions).toHaveLength(1);
      const [region] = report.regions;
      expect(region).toMatchObject({ name: 'us-east', status: 'error' });
      expect(region.error).toContain(`${overlay} did not finish within 1.5 s`);
      expect(region.error).toContain('raise --render-timeout');
    } finally {
      server.close();
    }
  }, 30_000);
});
