// Bundles the CLI and the Action into dist/ with esbuild, and copies the assets they read
// at run time (Handlebars templates, JSON Schemas). dist/ is committed: the Action runs it
// and `npx mr-drift` uses it after `npm ci`.
//
//   node scripts/build.mjs          write dist/
//   node scripts/build.mjs --check  build into a temp folder; exit 1 if dist/ differs
import { build } from 'esbuild';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'mr-drift-dist-')) : join(root, 'dist');

const entries = [
  // Split: modules only the drift check needs go into chunks/, which `mr-drift generate`
  // never loads (see src/cli/main.ts), so the generator starts faster.
  { in: 'src/cli/main.ts', out: 'cli.js', banner: '#!/usr/bin/env node', split: true },
  { in: 'src/action/index.ts', out: 'index.js', banner: '' },
  // The Action's `post:` step: removes the kubeconfig the main step wrote.
  { in: 'src/action/post.ts', out: 'post.js', banner: '' },
].filter((e) => existsSync(join(root, e.in)));

if (!check) rmSync(out, { recursive: true, force: true });
for (const e of entries) {
  await build({
    ...(e.split
      ? {
          entryPoints: { [e.out.replace(/\.js$/, '')]: join(root, e.in) },
          outdir: out,
          splitting: true,
          chunkNames: 'chunks/[name]-[hash]',
        }
      : { entryPoints: [join(root, e.in)], outfile: join(out, e.out) }),
    bundle: true,
    // Paths in the bundle's comments are relative to the repo root wherever the build
    // runs from, so `--check` compares like with like.
    absWorkingDir: root,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    // Some bundled dependencies are CommonJS and call require() for Node built-ins.
    banner: {
      js: [
        e.banner,
        "import { createRequire as __mrDriftCreateRequire } from 'node:module';",
        'const require = __mrDriftCreateRequire(import.meta.url);',
      ]
        .filter(Boolean)
        .join('\n'),
    },
  });
}
// The CLI is package.json's `bin`: executable, as `npm ci` would otherwise make it (and
// then `git status` shows dist/cli.js changed right after installing).
if (existsSync(join(out, 'cli.js'))) chmodSync(join(out, 'cli.js'), 0o755);
for (const dir of ['templates', 'schema']) {
  if (existsSync(join(root, dir))) cpSync(join(root, dir), join(out, dir), { recursive: true });
}

if (check) {
  const differ = compareTrees(out, join(root, 'dist'));
  rmSync(out, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error('dist/ is stale; run `npm run build` and commit dist/. Files that differ:');
    for (const f of differ) console.error(`  dist/${f}`);
    process.exit(1);
  }
  console.log('dist/ is up to date.');
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(dir, p));
    }
  };
  walk(dir);
  return files.sort();
}

function compareTrees(a, b) {
  const fa = listFiles(a);
  const fb = listFiles(b);
  const all = [...new Set([...fa, ...fb])].sort();
  return all.filter(
    (f) =>
      !fa.includes(f) ||
      !fb.includes(f) ||
      !readFileSync(join(a, f)).equals(readFileSync(join(b, f))) ||
      (statSync(join(a, f)).mode & 0o111) !== (statSync(join(b, f)).mode & 0o111),
  );
}
