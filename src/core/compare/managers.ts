/**
 * Who is who among field managers: the GitOps applier (whose fields are the intent from
 * Git), people's tools (whose fields are hand-made drift) and everything else (controllers,
 * whose fields are never drift).
 */

import type { ParsedEntry } from './managed-fields';

/** Field managers of the GitOps engines mr-drift knows. */
export const GITOPS_MANAGERS: readonly string[] = ['argocd-controller', 'kustomize-controller'];

/** Field manager used for the server-side apply dry-run when none is configured or seen. */
export const DEFAULT_FIELD_MANAGER = 'argocd-controller';

/**
 * Managers that are a person at a keyboard: kubectl's subcommands (`kubectl-edit`,
 * `kubectl-patch`, `kubectl-label`, `kubectl-set`, `kubectl-client-side-apply` ...; plain
 * `kubectl` for `scale` and `apply --server-side`), and UIs that write without naming a
 * manager, which the server then records under their User-Agent.
 */
export const DEFAULT_HAND_MANAGERS: readonly string[] = [
  'kubectl',
  'kubectl-*',
  'k9s',
  'Mozilla',
  'node-fetch',
  'Lens',
  'OpenLens',
  'headlamp',
  'curl',
];

/** Compiles `*`-globs into one matcher (case-sensitive, like manager names). */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return (name) => res.some((re) => re.test(name));
}

/** The GitOps engine that applied an object, from its managedFields (its Apply entry first). */
export function detectManager(entries: readonly ParsedEntry[]): string | undefined {
  return (
    entries.find((e) => e.operation === 'Apply' && GITOPS_MANAGERS.includes(e.manager))?.manager ??
    entries.find((e) => GITOPS_MANAGERS.includes(e.manager))?.manager
  );
}
