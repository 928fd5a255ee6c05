import { tmpdir } from 'node:os';
import { KUBECONFIG_STATE, removeKubeconfigFile } from '../adapters/actions/kubeconfig-file';
import type { ActionsRuntime } from '../adapters/actions/toolkit';

/**
 * The Action's `post:` step: removes the kubeconfig the main step wrote, in case the main
 * step was cancelled or killed before its own clean-up. Never fails the job.
 */
export function runPost(runtime: ActionsRuntime, env: NodeJS.ProcessEnv = process.env): number {
  const file = runtime.getState(KUBECONFIG_STATE);
  if (!file) return 0;
  try {
    if (removeKubeconfigFile(file, env.RUNNER_TEMP ?? tmpdir())) {
      runtime.info('mr-drift: removed the temporary kubeconfig.');
    } else {
      runtime.warning(
        'mr-drift: the saved kubeconfig path is not one this Action created; left it alone.',
      );
    }
  } catch (err) {
    runtime.warning(
      `mr-drift: could not remove the temporary kubeconfig: ${(err as Error).message}`,
    );
  }
  return 0;
}
