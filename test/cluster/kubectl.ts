import { execFile, spawnSync } from 'node:child_process';
import { ToolMissingError } from '../../src/core/errors';
import { ensureBinary } from './binaries';
import { contextName, type UserName } from './kubeconfig';
import { kubeconfigPath } from './paths';
import { ENV } from './provided';

/**
 * Running the real kubectl against a region. Free of vitest, so benchmark scripts can use
 * it too; tests import it through testing.ts.
 */

/** Options of {@link kubectl}. */
export interface KubectlOptions {
  /** Which identity: the region's admin (default), `readonly` or `drift-checker`. */
  user?: UserName;
  /** Adds `--namespace`. */
  namespace?: string;
  /** Text sent on stdin (for `-f -`). */
  input?: string;
  /** Kills kubectl after this long (default 120 s). */
  timeoutMs?: number;
  /** Another kubeconfig than the harness's. */
  kubeconfig?: string;
  /** Another kubectl binary (default: see {@link kubectlBinary}). */
  binary?: string;
}

/** kubectl exited non-zero; `stderr` holds the server's message (e.g. "Forbidden"). */
export class KubectlError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `kubectl ${args.join(' ')} failed (exit ${exitCode ?? 'killed'}): ${stderr.trim() || stdout.trim()}`,
    );
    this.name = 'KubectlError';
  }
}

/** The kubeconfig tests use: the setup's (env), else the default .cluster/kubeconfig. */
export function defaultKubeconfig(): string {
  return process.env[ENV.kubeconfig] || kubeconfigPath();
}

let systemKubectl: string | null | undefined;

/**
 * The kubectl tests run: `MR_DRIFT_KUBECTL` if set, else the one on PATH, else the
 * kubectl built from the pinned Kubernetes module (built on first use, then cached).
 */
export async function kubectlBinary(): Promise<string> {
  if (process.env.MR_DRIFT_KUBECTL) return process.env.MR_DRIFT_KUBECTL;
  if (systemKubectl === undefined) {
    const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    systemKubectl = r.error ? null : 'kubectl';
  }
  return systemKubectl ?? buildKubectl();
}

/**
 * Builds kubectl from the pinned `k8s.io/kubernetes` (same version as the clusters) and
 * returns its path. Cached: only the first call after a pin change compiles.
 */
export function buildKubectl(log?: (line: string) => void): Promise<string> {
  return ensureBinary('kubectl', log);
}

/**
 * Runs kubectl against a region's context and returns stdout; throws {@link KubectlError}
 * with stderr on failure.
 *
 * @example await kubectl('us-east', ['get', 'ns', '-o', 'name'])
 * @example await kubectl('eu-west', ['apply', '--server-side', '-f', '-'], { input: yaml })
 */
export async function kubectl(
  region: string,
  args: string[],
  opts: KubectlOptions = {},
): Promise<string> {
  const binary = opts.binary ?? (await kubectlBinary());
  const full = [
    `--kubeconfig=${opts.kubeconfig ?? defaultKubeconfig()}`,
    `--context=${contextName(region, opts.user ?? 'admin')}`,
    ...(opts.namespace ? [`--namespace=${opts.namespace}`] : []),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      full,
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        if (e.code === 'ENOENT') {
          return reject(
            new ToolMissingError('kubectl', 'Install kubectl or set MR_DRIFT_KUBECTL.'),
          );
        }
        reject(new KubectlError(args, typeof e.code === 'number' ? e.code : null, stdout, stderr));
      },
    );
    // kubectl may exit before reading all of stdin (e.g. on a parse error); the error it
    // prints is what matters, not the broken pipe.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs kubectl with `-o json` and parses the output. */
export async function kubectlJson<T = unknown>(
  region: string,
  args: string[],
  opts: KubectlOptions = {},
): Promise<T> {
  return JSON.parse(await kubectl(region, [...args, '-o', 'json'], opts)) as T;
}
