/**
 * Server-side mode: asks the API server what each apply would produce (a server-side apply
 * dry-run, which never writes), for the objects core/compare/dry-run-targets.ts chose.
 */
import { refusalIsImmutable } from '../core/compare/assess-risks';
import type { DryRunTarget } from '../core/compare/dry-run-targets';
import { describeRef, refOf, type KubeObject } from '../core/compare/kube-object';
import { accessFailure, isAccessFailure } from '../adapters/kube/access-errors';
import { dryRunApply } from '../adapters/kube/dry-run-apply';
import { KubeApiError, type KubeClient } from '../adapters/kube/kube-client';

export interface DryRunResults {
  /** The server's prediction of each applied object, by `objectKey`. */
  predicted: Map<string, KubeObject>;
  /**
   * Objects the server refused because Git changes a field it cannot update: key -> message.
   * They become findings with the `immutable-field` risk, not errors.
   */
  refused: Map<string, string>;
  /** Objects the server refused for another reason: no verdict for them. */
  unjudged: Set<string>;
  /** One line per unjudged object, saying what the server answered. */
  errors: string[];
  /** Warnings the server attached to a dry-run, with the object they are about. */
  warnings: string[];
}

/**
 * Dry-runs every target concurrently (the client limits requests in flight). An
 * unreachable server, 401 or 403 fails the whole region: that is a permission problem
 * (server-side mode needs `patch`), not something to report per object.
 */
export async function predictByDryRun(
  client: KubeClient,
  targets: readonly DryRunTarget[],
  progress: (done: number, total: number) => void,
): Promise<DryRunResults> {
  const results: DryRunResults = {
    predicted: new Map(),
    refused: new Map(),
    unjudged: new Set(),
    errors: [],
    warnings: [],
  };
  let done = 0;
  progress(0, targets.length);
  await Promise.all(
    targets.map(async ({ object, resourceType, key, manager }) => {
      const manifest = object.entry.manifest;
      try {
        const res = await dryRunApply(client, resourceType, manifest, manager);
        results.predicted.set(key, res.object);
        for (const w of res.warnings)
          results.warnings.push(`${describeRef(refOf(manifest))}: ${w}`);
      } catch (e) {
        if (isAccessFailure(e))
          throw accessFailure(e, 'run the server-side apply dry-run', client, true);
        if (
          e instanceof KubeApiError &&
          e.status === 422 &&
          refusalIsImmutable(e.causes, e.message)
        )
          results.refused.set(key, `${describeRef(refOf(manifest))}: ${e.message}`);
        else {
          results.unjudged.add(key);
          results.errors.push(
            `${describeRef(refOf(manifest))}: the server refused the dry-run apply (${e instanceof KubeApiError ? `${e.status} ${e.reason}: ${e.message}` : (e as Error).message})`,
          );
        }
      }
      progress(++done, targets.length);
    }),
  );
  return results;
}
