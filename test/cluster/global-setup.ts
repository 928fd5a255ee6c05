import type { TestProject } from 'vitest/node';
import { findGo, GO_MISSING_HINT } from './binaries';
import { releaseLease, takeLease, up } from './cluster';
import { clusterDir, DEFAULT_REGIONS } from './paths';
import { ENV, type ProvidedCluster } from './provided';

/**
 * vitest global setup of the `integration` project: starts the three test regions (or
 * reuses healthy ones, e.g. from `npm run cluster -- up`), hands their kubeconfig,
 * regions and binaries folder to the tests (provide/inject and environment variables),
 * and at the end stops the regions a test run started, once no other run uses them.
 *
 * With CI=true a failure to build or start is an error that fails the run. Only a machine
 * without Go, outside CI, skips the cluster suites, and says so.
 */
export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const dir = clusterDir();
  const log = (line: string): void => {
    process.stderr.write(`[cluster] ${line}\n`);
  };

  if (!findGo()) {
    if (process.env.CI === 'true') {
      throw new Error(
        `CI=true but Go was not found on PATH, so the test clusters cannot be built. ${GO_MISSING_HINT}`,
      );
    }
    const reason = 'Go is not installed, so no real clusters could be built';
    process.stderr.write(
      `\n[cluster] WARNING: ${reason}; the integration suites that need them are SKIPPED.\n` +
        `[cluster] ${GO_MISSING_HINT}\n\n`,
    );
    process.env[ENV.skipReason] = reason;
    project.provide('mrDriftCluster', {
      kubeconfig: '',
      regions: [...DEFAULT_REGIONS],
      binDir: '',
      clusterDir: dir,
      gitUrl: '',
      gitRoot: '',
      skipReason: reason,
    });
    return undefined;
  }

  // The lease comes first, so a run that ends meanwhile cannot stop what we reuse.
  const lease = takeLease(dir);
  const started = Date.now();
  let result;
  try {
    result = await up([...DEFAULT_REGIONS], 'global-setup', { dir, log });
  } catch (err) {
    await releaseLease(lease, { dir, log });
    throw err;
  }
  log(
    `regions ready in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(started: ${result.started.join(', ') || 'none'}; reused: ${result.reused.join(', ') || 'none'})`,
  );

  const provided: ProvidedCluster = {
    kubeconfig: result.kubeconfig,
    regions: result.regions,
    binDir: result.binDir,
    clusterDir: dir,
    gitUrl: result.gitUrl,
    gitRoot: result.gitRoot,
    skipReason: null,
  };
  // Workers and the processes tests spawn inherit these.
  process.env[ENV.kubeconfig] = provided.kubeconfig;
  process.env.KUBECONFIG = provided.kubeconfig;
  process.env[ENV.regions] = provided.regions.join(',');
  process.env[ENV.binDir] = provided.binDir;
  process.env[ENV.clusterDir] = dir;
  process.env[ENV.gitUrl] = provided.gitUrl;
  process.env[ENV.gitRoot] = provided.gitRoot;
  delete process.env[ENV.skipReason];
  project.provide('mrDriftCluster', provided);

  return async () => {
    const stopped = await releaseLease(lease, { dir, log });
    if (stopped.length) log(`stopped ${stopped.join(', ')}`);
  };
}
