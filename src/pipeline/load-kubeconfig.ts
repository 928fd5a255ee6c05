import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UsageError } from '../core/errors';
import { KubeconfigError, loadKubeconfig, type Kubeconfig } from '../adapters/kube/kubeconfig';

/** Where a pod finds its ServiceAccount token (the in-cluster config then applies). */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** What the kubeconfig search looks at; tests pass their own. */
export interface KubeconfigEnvironment {
  /** The KUBECONFIG variable (files separated by the platform's path delimiter). */
  kubeconfigVar?: string;
  home?: string;
  exists?: (file: string) => boolean;
}

/**
 * Loads the kubeconfig of a check the way kubectl finds it: `--kubeconfig`, else the files
 * in KUBECONFIG, else `~/.kube/config`, else the in-cluster ServiceAccount. Finding none
 * is bad input (UsageError, exit 2) before any cluster is contacted, naming what was looked
 * for, rather than one "no context named ..." error per region. Unlike kubectl, which skips
 * them silently, a KUBECONFIG entry naming a missing file is refused: it is almost always a
 * typo, and skipping it would check other clusters than the user meant.
 */
export function loadKubeconfigOrFail(
  file: string | undefined,
  env: KubeconfigEnvironment = {
    ...(process.env.KUBECONFIG !== undefined ? { kubeconfigVar: process.env.KUBECONFIG } : {}),
    home: homedir(),
  },
): Kubeconfig {
  const exists = env.exists ?? existsSync;
  if (file !== undefined && !exists(file)) {
    throw new UsageError(
      `--kubeconfig ${file}: no such file`,
      'Pass the path of a kubeconfig file, or leave --kubeconfig out to use KUBECONFIG or ~/.kube/config.',
    );
  }
  const fromVar = (env.kubeconfigVar ?? '').split(delimiter).filter(Boolean);
  if (file === undefined) {
    const missing = fromVar.filter((f) => !exists(f));
    if (missing.length > 0) {
      throw new UsageError(
        `KUBECONFIG names ${missing.length === 1 ? 'a file that does' : 'files that do'} not exist: ${missing.join(', ')}`,
        'Fix KUBECONFIG, or pass --kubeconfig <file>.',
      );
    }
    const home = env.home ? join(env.home, '.kube', 'config') : undefined;
    if (fromVar.length === 0 && !(home && exists(home)) && !exists(IN_CLUSTER_TOKEN)) {
      throw new UsageError(
        `no kubeconfig: --kubeconfig is not given, KUBECONFIG is not set, and ${home ?? '~/.kube/config'} does not exist`,
        'Pass --kubeconfig <file>, or set KUBECONFIG.',
      );
    }
  }
  try {
    return loadKubeconfig(file, {
      ...(env.kubeconfigVar !== undefined ? { kubeconfigVar: env.kubeconfigVar } : {}),
      ...(env.home !== undefined ? { home: env.home } : {}),
      ...(process.env.KUBERNETES_SERVICE_HOST
        ? { serviceHost: process.env.KUBERNETES_SERVICE_HOST }
        : {}),
      ...(process.env.KUBERNETES_SERVICE_PORT
        ? { servicePort: process.env.KUBERNETES_SERVICE_PORT }
        : {}),
    });
  } catch (e) {
    // Messages name the file and field (never a value): `<file>: users[0].user.exec: ...`.
    if (e instanceof KubeconfigError)
      throw new UsageError(
        `cannot read the kubeconfig: ${e.message}`,
        e.hint ??
          'Check that the file is a valid kubeconfig (kubectl config view should print it).',
      );
    throw e;
  }
}
