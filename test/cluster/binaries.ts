import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { ToolMissingError } from '../../src/core/errors';
import { withLock } from './lock';
import { cacheDir, goModuleDir, type GoModuleName } from './paths';

/**
 * Builds etcd, the Kubernetes control plane (kube-apiserver, kube-controller-manager,
 * kube-scheduler), kwok, kubectl, the certificate tool, Flux's source-controller and
 * kustomize-controller, and Argo CD with its kustomize and Redis, from the pinned Go
 * modules in test/cluster/go/, into `.cache/bin/<name>-<key>/<name>`. The key hashes everything
 * that decides the binary (the module's go.mod, go.sum and .go files, the Go version and
 * platform, the build flags), so a binary is rebuilt only when a pin or a flag changes.
 */

/** The binaries the harness knows how to build. */
export type BinaryName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'kubectl'
  | 'pki'
  | 'argocd'
  | 'kustomize'
  | 'redis'
  | 'gojq'
  | 'source-controller'
  | 'kustomize-controller';

/** What every region runs (kubectl is built only on request, for the benchmarks). */
export const REGION_BINARIES: readonly BinaryName[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'pki',
];

interface BuildSpec {
  module: GoModuleName;
  /** Go package path of the main package (`.` for the module itself). */
  pkg: string;
  tags: string[];
  /** Extra -ldflags; version stamps are added for Kubernetes binaries. */
  stampKubernetesVersion: boolean;
  /** `-X` stamps (Go variable -> value), read from the pins when the flags are made. */
  stamps?: () => Record<string, string>;
  /**
   * Other names for the binary, as symlinks beside it: a program that picks what to run by
   * the name it is called with (argv[0]) is started through them.
   */
  aliases?: string[];
}

const SPECS: Record<BinaryName, BuildSpec> = {
  etcd: {
    module: 'etcd',
    pkg: 'go.etcd.io/etcd/server/v3',
    tags: [],
    stampKubernetesVersion: false,
  },
  // Upstream builds the Kubernetes commands static, with these tags (kubernetes
  // hack/lib/golang.sh).
  'kube-apiserver': {
    module: 'k8s',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    tags: ['selinux', 'notest', 'grpcnotrace'],
    stampKubernetesVersion: true,
  },
  'kube-controller-manager': {
    module: 'k8s',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    tags: ['selinux', 'notest', 'grpcnotrace'],
    stampKubernetesVersion: true,
  },
  'kube-scheduler': {
    module: 'k8s',
    pkg: 'k8s.io/kubernetes/cmd/kube-scheduler',
    tags: ['selinux', 'notest', 'grpcnotrace'],
    stampKubernetesVersion: true,
  },
  // kwok's version is a constant in its source (pkg/consts), nothing to stamp.
  kwok: {
    module: 'kwok',
    pkg: 'sigs.k8s.io/kwok/cmd/kwok',
    tags: [],
    stampKubernetesVersion: false,
  },
  kubectl: {
    module: 'k8s',
    pkg: 'k8s.io/kubernetes/cmd/kubectl',
    tags: ['selinux', 'notest', 'grpcnotrace'],
    stampKubernetesVersion: true,
  },
  pki: { module: 'pki', pkg: '.', tags: [], stampKubernetesVersion: false },
  // One binary for every Argo CD component: cmd/main.go dispatches on argv[0]. The repo-
  // server runs `argocd` as git's askpass helper, so that name is the binary itself.
  argocd: {
    module: 'argocd',
    pkg: 'github.com/argoproj/argo-cd/v3/cmd',
    tags: [],
    stampKubernetesVersion: false,
    // The version Argo CD's Makefile stamps (from its VERSION file), so that logs and the
    // user agent name the release: `argocd version` says v3.2.11+unknown, since the
    // module does not carry the release's commit.
    stamps: () => ({
      'github.com/argoproj/argo-cd/v3/common.version': pinnedVersion(
        'argocd',
        'github.com/argoproj/argo-cd/v3',
      ).slice(1),
    }),
    aliases: [
      'argocd-application-controller',
      'argocd-repo-server',
      'argocd-applicationset-controller',
    ],
  },
  kustomize: {
    module: 'kustomize',
    pkg: 'sigs.k8s.io/kustomize/kustomize/v5',
    tags: [],
    stampKubernetesVersion: false,
  },
  redis: { module: 'redis', pkg: '.', tags: [], stampKubernetesVersion: false },
  // The jq Argo CD evaluates `jqPathExpressions` with, for test/integration/jq-agreement.test.ts.
  gojq: {
    module: 'gojq',
    pkg: 'github.com/itchyny/gojq/cmd/gojq',
    tags: [],
    stampKubernetesVersion: false,
  },
  // The two Flux controllers, from one wrapper module (they share most dependencies, so
  // the second build reuses the first one's compiled packages).
  'source-controller': {
    module: 'flux',
    pkg: 'github.com/fluxcd/source-controller',
    tags: [],
    stampKubernetesVersion: false,
  },
  'kustomize-controller': {
    module: 'flux',
    pkg: 'github.com/fluxcd/kustomize-controller',
    tags: [],
    stampKubernetesVersion: false,
  },
};

/** What `go` reports about itself; undefined when Go is not installed. */
export interface GoInfo {
  version: string;
  os: string;
  arch: string;
}

let goInfoCache: GoInfo | null | undefined;

/** Finds the Go toolchain, or undefined if `go` is not on PATH. */
export function findGo(): GoInfo | undefined {
  if (goInfoCache !== undefined) return goInfoCache ?? undefined;
  const r = spawnSync('go', ['env', 'GOVERSION', 'GOOS', 'GOARCH'], {
    encoding: 'utf8',
    env: goEnv(),
  });
  if (r.error || r.status !== 0) {
    goInfoCache = null;
    return undefined;
  }
  const [version = '', os = '', arch = ''] = r.stdout.trim().split('\n');
  goInfoCache = { version, os, arch };
  return goInfoCache;
}

/** Hint shown when Go is missing. */
export const GO_MISSING_HINT =
  'Install Go 1.26 (the pinned Kubernetes 1.36 modules need it): the harness builds etcd and kube-apiserver from test/cluster/go/.';

/**
 * The Kubernetes version pinned in test/cluster/go/k8s/go.mod (e.g. `v1.36.3`), stamped
 * into the binaries so that `/version` and `kubectl version` report it.
 */
export function pinnedKubernetesVersion(): string {
  return pinnedVersion('k8s', 'k8s.io/kubernetes');
}

/** The version a wrapper module's go.mod requires of `modulePath` (e.g. `v3.2.11`). */
export function pinnedVersion(module: GoModuleName, modulePath: string): string {
  const gomod = readFileSync(join(goModuleDir(module), 'go.mod'), 'utf8');
  const escaped = modulePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = gomod.match(
    new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\d+\\.\\d+\\.\\d+)\\s*$`, 'm'),
  );
  if (!m?.[1]) {
    throw new Error(`test/cluster/go/${module}/go.mod: no \`${modulePath} vX.Y.Z\` requirement`);
  }
  return m[1];
}

function ldflags(spec: BuildSpec): string {
  const flags = ['-s', '-w'];
  for (const [variable, value] of Object.entries(spec.stamps?.() ?? {})) {
    flags.push(`-X ${variable}=${value}`);
  }
  if (spec.stampKubernetesVersion) {
    const v = pinnedKubernetesVersion();
    const [major, minor] = v.slice(1).split('.');
    for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
      flags.push(
        `-X ${pkg}.gitVersion=${v}`,
        `-X ${pkg}.gitMajor=${major}`,
        `-X ${pkg}.gitMinor=${minor}`,
      );
    }
  }
  return flags.join(' ');
}

function buildArgs(spec: BuildSpec, out: string): string[] {
  const args = ['build', '-trimpath'];
  if (spec.tags.length) args.push('-tags', spec.tags.join(','));
  args.push('-ldflags', ldflags(spec), '-o', out, spec.pkg);
  return args;
}

function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never download another Go; CGO off: static binaries, no C compiler.
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
}

/** The cache key of a binary: a hash of its module's sources, the toolchain and the flags. */
export function cacheKey(name: BinaryName, go: GoInfo): string {
  const spec = SPECS[name];
  const dir = goModuleDir(spec.module);
  const h = createHash('sha256');
  h.update(
    JSON.stringify({ name, go, args: buildArgs(spec, '<out>'), cgo: 0, aliases: spec.aliases }),
  );
  const files = readdirSync(dir)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
    .sort();
  for (const f of files) {
    h.update(`\0${f}\0`);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Where the binary for the current pins lives (whether or not it is built yet). */
export function binaryPath(name: BinaryName): string {
  const go = findGo();
  if (!go) throw new ToolMissingError('go', GO_MISSING_HINT);
  return join(cacheDir(), 'bin', `${name}-${cacheKey(name, go)}`, name);
}

/**
 * Returns the path of an up-to-date binary, building it first if the pins changed.
 * Concurrent callers wait for one build instead of running two on two cores.
 */
export async function ensureBinary(
  name: BinaryName,
  log: (line: string) => void = () => {},
): Promise<string> {
  const path = binaryPath(name);
  if (existsSync(path)) {
    markUsed(join(path, '..'));
    return path;
  }
  const binRoot = join(cacheDir(), 'bin');
  mkdirSync(binRoot, { recursive: true });
  return withLock(
    join(binRoot, `.lock-${name}`),
    `the ${name} build`,
    async () => {
      if (existsSync(path)) return path; // someone else built it while we waited
      const spec = SPECS[name];
      const finalDir = join(path, '..');
      const tmpDir = `${finalDir}.tmp-${process.pid}`;
      rmSync(tmpDir, { recursive: true, force: true });
      mkdirSync(tmpDir, { recursive: true });
      log(`building ${name} from test/cluster/go/${spec.module} (cached after the first build)`);
      const started = Date.now();
      // A cold kube-apiserver build is minutes of silence from go: say it is still going.
      const heartbeat = setInterval(
        () => log(`still building ${name} (${Math.round((Date.now() - started) / 1000)} s)`),
        30_000,
      );
      try {
        await runGo(buildArgs(spec, join(tmpDir, name)), goModuleDir(spec.module), name);
      } finally {
        clearInterval(heartbeat);
      }
      for (const alias of spec.aliases ?? []) symlinkSync(name, join(tmpDir, alias));
      // Rename the folder into place only once the build is complete, so an interrupted
      // build never leaves something that looks like a finished binary.
      renameSync(tmpDir, finalDir);
      log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      pruneOldBuilds(binRoot, name, finalDir);
      return path;
    },
    { log },
  );
}

/** A build unused this long is removed when another build of the same binary lands. */
const UNUSED_BUILD_DAYS = 3;

/** Records that a build was used (its folder's time), so pruning keeps it. */
function markUsed(dir: string): void {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // A read-only cache still works; the build may just be pruned earlier.
  }
}

/**
 * Removes builds of the same binary for other pins that nobody used for a few days, so
 * the cache does not grow forever. Recently used ones stay: a cache shared by several
 * working trees on different pins (branches) would otherwise rebuild back and forth.
 */
function pruneOldBuilds(binRoot: string, name: BinaryName, keep: string): void {
  const prefix = `${name}-`;
  const cutoff = Date.now() - UNUSED_BUILD_DAYS * 24 * 3600 * 1000;
  for (const entry of readdirSync(binRoot)) {
    const full = join(binRoot, entry);
    if (full === keep || !entry.startsWith(prefix)) continue;
    // Only `<name>-<16 hex>` folders: `kube-apiserver-…` must not be taken for `kube-…`.
    if (!/^[0-9a-f]{16}$/.test(entry.slice(prefix.length))) continue;
    if (statSync(full).mtimeMs > cutoff) continue;
    rmSync(full, { recursive: true, force: true });
  }
}

function runGo(args: string[], cwd: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env: goEnv(), stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (err) =>
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new ToolMissingError('go', GO_MISSING_HINT)
          : err,
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`go build of ${what} failed (exit ${code}):\n${stderr.slice(-4000)}`)),
    );
  });
}
