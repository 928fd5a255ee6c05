import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGenerate } from '../../src/pipeline/run-generate';
import {
  ConfigError,
  ForeignFilesError,
  HandEditedFilesError,
  TemplateError,
} from '../../src/core/errors';

const repo = join(import.meta.dirname, '../..');
// The in-cluster golden config: small, and what the assertions below count files of.
const bundled = readFileSync(
  join(repo, 'test/golden/argocd-in-cluster/input/mr-drift.yaml'),
  'utf8',
);
const golden = join(repo, 'test/golden/argocd-in-cluster/expected');
const run = promisify(execFile);

let dir: string;
let config: string;
let out: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-drift-generate-'));
  config = join(dir, 'mr-drift.yaml');
  out = join(dir, 'overlays');
  writeFileSync(config, bundled);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every file under a folder with its content: the whole tree, to compare before/after. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(root)) return files;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files[relative(root, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return files;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

function editConfig(find: string, replace: string): void {
  const text = readFileSync(config, 'utf8');
  expect(text.includes(find)).toBe(true);
  writeFileSync(config, text.replace(find, replace));
}

/** Drops the last region (ap-southeast) and its shard. */
function dropApSoutheast(): void {
  const text = readFileSync(config, 'utf8');
  writeFileSync(
    config,
    text.slice(0, text.indexOf('\n  - name: ap-southeast')).replace('shards: 4', 'shards: 3') +
      '\n',
  );
}

describe('writing the tree', () => {
  it('writes the tree; a second run changes nothing', () => {
    const first = runGenerate({ configPath: config });
    expect(first.outDir).toBe(out);
    expect(first.written).toBe(true);
    expect(first.diff.changes.every((c) => c.kind === 'added')).toBe(true);
    const before = snapshot(out);
    expect(Object.keys(before)).toHaveLength(first.plan.length);

    const second = runGenerate({ configPath: config });
    expect(second.written).toBe(false);
    expect(second.diff.changes).toEqual([]);
    expect(snapshot(out)).toEqual(before);
  });

  it('writes the same bytes as the committed golden tree of the config', () => {
    runGenerate({ configPath: config });
    expect(snapshot(out)).toEqual(snapshot(golden));
  });

  it('changes only the files a config change affects', () => {
    runGenerate({ configPath: config });
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    const r = runGenerate({ configPath: config });
    // The region's replica bounds live on the HPA only: the Deployment has no replicas.
    expect(r.diff.changes.map((c) => `${c.kind} ${c.path}`)).toEqual([
      'changed regions/eu-west/patch-hpa.yaml',
    ]);
  });

  it('removes the files of a dropped region, and its folders, but keeps files it did not write', () => {
    runGenerate({ configPath: config });
    writeFileSync(join(out, 'README.md'), 'my notes\n');
    writeFileSync(join(out, 'regions/eu-west/notes.txt'), 'hand-made\n');
    dropApSoutheast();
    const r = runGenerate({ configPath: config });
    const removed = r.diff.changes.filter((c) => c.kind === 'removed');
    expect(removed.length).toBeGreaterThan(5);
    expect(removed.every((c) => c.group === 'ap-southeast')).toBe(true);
    expect(existsSync(join(out, 'regions/ap-southeast'))).toBe(false);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('my notes\n');
    expect(readFileSync(join(out, 'regions/eu-west/notes.txt'), 'utf8')).toBe('hand-made\n');
    const record = JSON.parse(readFileSync(join(out, '.mr-drift-generated.json'), 'utf8')) as {
      files: string[];
    };
    expect(record.files.some((f) => f.includes('ap-southeast'))).toBe(false);
  });

  it('keeps a region folder that still holds a file it did not write', () => {
    runGenerate({ configPath: config });
    writeFileSync(join(out, 'regions/ap-southeast/keep.txt'), 'mine\n');
    dropApSoutheast();
    runGenerate({ configPath: config });
    expect(readdirSync(join(out, 'regions/ap-southeast'))).toEqual(['keep.txt']);
  });

  it('refuses to overwrite a generated file edited by hand, listing it, and writes nothing', () => {
    runGenerate({ configPath: config });
    const edited = join(out, 'base/deployment.yaml');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('maxSurge: 1', 'maxSurge: 2'));
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    const before = snapshot(out);
    const err = errorOf(() => runGenerate({ configPath: config }));
    expect(err).toBeInstanceOf(HandEditedFilesError);
    expect((err as HandEditedFilesError).files).toEqual(['base/deployment.yaml']);
    // Named as the user finds it: with the output folder, as --check lists files.
    expect(err.message).toContain(`\n  ${out}/base/deployment.yaml`);
    expect(snapshot(out)).toEqual(before);

    const forced = runGenerate({ configPath: config, force: true });
    expect(forced.written).toBe(true);
    expect(readFileSync(edited, 'utf8')).toContain('maxSurge: 1');
  });

  it('refuses to remove a hand-edited file of a dropped region without --force', () => {
    runGenerate({ configPath: config });
    const edited = join(out, 'regions/ap-southeast/cache.yaml');
    writeFileSync(edited, readFileSync(edited, 'utf8') + '# my note\n');
    dropApSoutheast();
    const err = errorOf(() => runGenerate({ configPath: config }));
    expect((err as HandEditedFilesError).files).toEqual(['regions/ap-southeast/cache.yaml']);
    expect(existsSync(edited)).toBe(true);
  });

  it('never overwrites a file it did not generate that sits where it would write', () => {
    mkdirSync(join(out, 'base'), { recursive: true });
    writeFileSync(join(out, 'base/service.yaml'), 'kind: Service # mine\n');
    const err = errorOf(() => runGenerate({ configPath: config, force: true }));
    expect(err).toBeInstanceOf(ForeignFilesError);
    expect(err.message).toContain(`\n  ${out}/base/service.yaml`);
    expect(snapshot(out)).toEqual({ 'base/service.yaml': 'kind: Service # mine\n' });
  });
});

describe('a failing run leaves the previous tree untouched', () => {
  beforeEach(() => {
    runGenerate({ configPath: config });
  });

  it('bad config', () => {
    const before = snapshot(out);
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 9, max: 8 }');
    expect(errorOf(() => runGenerate({ configPath: config }))).toBeInstanceOf(ConfigError);
    expect(snapshot(out)).toEqual(before);
  });

  it('a template override with a missing variable', () => {
    const before = snapshot(out);
    const tpl = join(dir, 'my-templates/base');
    mkdirSync(tpl, { recursive: true });
    writeFileSync(
      join(tpl, 'service.yaml.hbs'),
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{names.apii}}\n',
    );
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    const err = errorOf(() =>
      runGenerate({ configPath: config, templatesDir: join(dir, 'my-templates') }),
    );
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.message).toContain('service.yaml.hbs');
    expect(err.message).toContain('variable "names.apii" is not defined');
    expect(snapshot(out)).toEqual(before);
  });

  it('a write that fails half-way (a new region folder is blocked by a file)', () => {
    editConfig(
      '  - name: ap-southeast',
      [
        '  - name: sa-east',
        '    cluster:',
        '      server: https://sa-east.k8s.alfred.example.com',
        '    replicas: { min: 1, max: 2 }',
        '    wave: 3',
        '    host: sa-east.alfred.example.com',
        '    shards: []',
        '    routing: { awsRegion: sa-east-1 }',
        '  - name: ap-southeast',
      ].join('\n'),
    );
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    // A plain file where the new region's folder must go: creating the folder fails
    // after other files were already staged.
    writeFileSync(join(out, 'regions/sa-east'), 'in the way\n');
    const before = snapshot(out);
    const err = errorOf(() => runGenerate({ configPath: config }));
    expect((err as NodeJS.ErrnoException).code).toMatch(/ENOTDIR|EEXIST/);
    expect(snapshot(out)).toEqual(before); // no temp files left, nothing replaced
  });
});

describe('template overrides (--templates)', () => {
  it('a file of the same name replaces the bundled template', () => {
    const tpl = join(dir, 'my-templates/base');
    mkdirSync(tpl, { recursive: true });
    const original = readFileSync(join(repo, 'templates/base/service.yaml.hbs'), 'utf8');
    writeFileSync(join(tpl, 'service.yaml.hbs'), original.replace('port: 80', 'port: 8081'));
    runGenerate({ configPath: config, templatesDir: join(dir, 'my-templates') });
    expect(readFileSync(join(out, 'base/service.yaml'), 'utf8')).toContain('port: 8081');
    expect(readFileSync(join(out, 'base/deployment.yaml'), 'utf8')).toBe(
      readFileSync(join(repo, 'overlays/base/deployment.yaml'), 'utf8'),
    );
  });

  it('an override that matches no bundled template is refused', () => {
    mkdirSync(join(dir, 'my-templates'), { recursive: true });
    writeFileSync(join(dir, 'my-templates/deploymnet.yaml.hbs'), 'x: 1\n');
    const err = errorOf(() =>
      runGenerate({ configPath: config, templatesDir: join(dir, 'my-templates') }),
    );
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.message).toMatch(/overrides no bundled template/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('CLI (mr-drift generate)', () => {
  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(repo, 'src/cli/main.ts'), 'generate', ...args],
      {
        cwd: dir,
      },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  it('--help lists the options and exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--config',
      '--templates',
      '--out',
      '--check',
      '--dry-run',
      '--force',
      '--output',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/Exit codes/);
  });

  it('writes, summarising per region; --check passes; after a config change --check exits 1 listing files', async () => {
    const first = await cli([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/wrote overlays\/ \(argocd, 3 regions, 4 shards\)/);
    expect(first.stdout).toMatch(/region us-east\s+12 added, 0 changed, 0 removed/);
    expect(first.stdout).toMatch(/47 added, 0 changed, 0 removed; 0 unchanged/);

    expect((await cli(['--check'])).code).toBe(0);

    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    const before = snapshot(out);
    const check = await cli(['--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('changed  overlays/regions/eu-west/patch-hpa.yaml');
    expect(check.stdout).not.toContain('patch-deployment.yaml');
    expect(snapshot(out)).toEqual(before);
  }, 120_000); // three CLI processes under tsx: slow when the shared machine is busy

  it('--dry-run prints a unified diff and writes nothing', async () => {
    await cli([]);
    editConfig('replicas: { min: 2, max: 8 }', 'replicas: { min: 4, max: 8 }');
    const before = snapshot(out);
    const r = await cli(['--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- a/regions/eu-west/patch-hpa.yaml');
    expect(r.stdout).toContain('+++ b/regions/eu-west/patch-hpa.yaml');
    expect(r.stdout).toMatch(/^-\s+minReplicas: 2$/m);
    expect(r.stdout).toMatch(/^\+\s+minReplicas: 4$/m);
    expect(r.stdout).toMatch(/would change overlays\//);
    expect(snapshot(out)).toEqual(before);
  }, 120_000);

  it('prints the failover readiness; --output json gives the summary and readiness as JSON', async () => {
    const text = await cli(['--dry-run']);
    expect(text.stdout).toMatch(/^Failover readiness \(what losing each region would do\):$/m);
    expect(text.stdout).toMatch(
      /^ {2}us-east\n {4}db-1 +no replica elsewhere and no backup: lost$/m,
    );
    const before = snapshot(out);
    const r = await cli(['--dry-run', '--output', 'json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      written: boolean;
      regions: string[];
      changes: { kind: string; path: string }[];
      failoverReadiness: { regions: { region: string; shards: { shard: string }[] }[] };
    };
    expect(json.written).toBe(false);
    expect(json.regions).toEqual(['us-east', 'eu-west', 'ap-southeast']);
    expect(json.changes).toContainEqual({
      kind: 'added',
      path: 'regions/us-east/kustomization.yaml',
    });
    expect(json.failoverReadiness.regions.map((x) => x.region)).toEqual(json.regions);
    expect(json.failoverReadiness.regions[0].shards.map((s) => s.shard)).toEqual(['db-1', 'db-2']);
    expect(snapshot(out)).toEqual(before);
  }, 120_000);

  it('a bad config exits 2 naming file, line and field, and writes nothing', async () => {
    editConfig('    wave: 2\n', '    wave: two\n    colour: red\n');
    const r = await cli(['--config', 'mr-drift.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: 2 problems in the config:/);
    expect(r.stderr).toMatch(
      /mr-drift\.yaml:\d+:\d+: regions\[1\]\.wave: expected integer, got string "two"/,
    );
    expect(r.stderr).toMatch(/mr-drift\.yaml:\d+:\d+: regions\[1\]\.colour: unknown field/);
    expect(r.stderr).toMatch(/hint: /);
    expect(existsSync(out)).toBe(false);
  });

  it('a template override with a missing variable exits 2 naming the template and line', async () => {
    mkdirSync(join(dir, 'tpl/region'), { recursive: true });
    writeFileSync(
      join(dir, 'tpl/region/patch-hpa.yaml.hbs'),
      'kind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: {{region.replicas.maximum}}\n',
    );
    const r = await cli(['--templates', 'tpl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tpl/region/patch-hpa.yaml.hbs');
    expect(r.stderr).toMatch(
      /variable "region\.replicas\.maximum" is not defined \(.*patch-hpa\.yaml\.hbs:3:/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a template override that sets replicas the HPA owns exits 2 naming template, line and field, and writes nothing', async () => {
    mkdirSync(join(dir, 'tpl/region'), { recursive: true });
    const bundled = readFileSync(join(repo, 'templates/region/patch-deployment.yaml.hbs'), 'utf8');
    writeFileSync(
      join(dir, 'tpl/region/patch-deployment.yaml.hbs'),
      bundled.replace(/^spec:\n/m, 'spec:\n  replicas: {{region.replicas.min}}\n'),
    );
    const r = await cli(['--templates', 'tpl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: 1 template would set replicas that a HorizontalPodAutoscaler owns:/,
    );
    expect(r.stderr).toMatch(
      /tpl\/region\/patch-deployment\.yaml\.hbs:6: spec\.replicas: sets the replicas of Deployment alfred-api, which HorizontalPodAutoscaler alfred-api \(base\/hpa\.yaml\) scales \(rendered into regions\/us-east\/patch-deployment\.yaml:9 and 2 more\)/,
    );
    expect(r.stderr).toMatch(/hint: Remove replicas from these templates/);
    expect(existsSync(out)).toBe(false);
  });

  it('a large --dry-run diff reaches a reader that is slower than the writer, whole', async () => {
    // 200 shards: a diff of about 0.8 MiB, far more than the pipe and this side's read
    // buffer hold while the reader waits (a few hundred KiB at most).
    const more = Array.from({ length: 196 }, (_, i) => `db-${i + 5}`);
    editConfig('shards: 4', 'shards: 200');
    editConfig('shards: [db-1, db-2]', `shards: [db-1, db-2, ${more.join(', ')}]`);
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(repo, 'src/cli/main.ts'),
        'generate',
        '--dry-run',
      ],
      { cwd: dir },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.setEncoding('utf8');
    // Stop reading after the first chunk: the CLI is printing by then, and one that exits
    // without waiting for its output is gone well within the pause, the rest of it lost.
    const first = new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.stdout.on('data', (d: string) => (stdout += d));
    const code = new Promise<number | null>((r) => child.on('close', r));
    await Promise.race([first, code]);
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1500));
    child.stdout.resume();
    expect(await code, stderr).toBe(0);
    expect(stdout.length).toBeGreaterThan(600 * 1024);
    expect(stdout).toMatch(/\+\+\+ b\/regions\/us-east\/db-shard-200\.yaml/);
    // Whole: the summary, then the failover readiness to its last region.
    expect(stdout).toMatch(/\n\d+ added, 0 changed, 0 removed; 0 unchanged\.\nFailover readiness/);
    expect(stdout).toMatch(/\n {2}ap-southeast\n[\s\S]*\n$/);
  }, 120_000); // one CLI process under tsx: slow when the shared machine is busy

  it('a missing config file exits 2 with a hint that fits how it was named', async () => {
    const r = await cli(['--config', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'nope.yaml: file not found\nhint: Check the path given with --config.',
    );

    const folder = await cli(['--config', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(
      `${dir}: is a folder, not a config file\nhint: Pass the config file itself, e.g. --config ${dir}/mr-drift.yaml.`,
    );

    rmSync(config);
    const first = await cli([]);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain(
      'mr-drift.yaml: file not found\nhint: Create mr-drift.yaml (see docs/config.md)',
    );
  });

  it('--out writes elsewhere, and the tree builds there like the committed one', async () => {
    const r = await cli(['--out', 'elsewhere']);
    expect(r.code).toBe(0);
    cpSync(join(dir, 'elsewhere'), join(dir, 'copy'), { recursive: true });
    expect(snapshot(join(dir, 'copy'))).toEqual(snapshot(golden));
  });
});
