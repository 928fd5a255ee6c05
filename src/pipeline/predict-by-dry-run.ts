/**
 * Server-side mode: asks the API server what each apply would produce (a server-side apply
 * dry-run, which never writes), for the objects core/compare/dry-run-targets.ts chose.
 */
import { refusalIsImmutable } from '../core/compare/assess-risks';
import type { DryRunTarget } from '../core/compare/dry-run-targets';
import { describeRef, refOf, type KubeObject } from '../core/compare/kube-object';
import { accessFailure, isAccessFailure } from '../adapters/kube/access-errors';
import { dryRunApply } from '../adapters/kube/dry-run-apply';
import { getObject } from '../adapters/kube/read-live';
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
  live: Map<string, KubeObject>,
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
    targets.map(async (target) => {
      await dryRunOne(client, target, results);
      progress(++done, targets.length);
    }),
  );
  await settleMoved(client, targets, live, results);
  return results;
}

/** How many times an object that keeps moving is read and dry-run again. */
const SETTLE_ROUNDS = 3;

/**
 * A controller can write an object between its LIST and its dry-run (a Deployment's
 * revision annotation at a rollout, a scale by the HPA): the prediction is then made
 * from a newer version than the one read, and the two would differ by that write. The
 * dry-run answers with the stored resourceVersion it started from, so such objects are
 * found, read again (a GET, replacing the live copy) and, if they moved once more,
 * dry-run again, until both sides describe the same version; after SETTLE_ROUNDS the
 * last read is compared as it is.
 */
async function settleMoved(
  client: KubeClient,
  targets: readonly DryRunTarget[],
  live: Map<string, KubeObject>,
  results: DryRunResults,
): Promise<void> {
  const versionOf = (o: KubeObject | undefined) => o?.metadata.resourceVersion;
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    const moved = targets.filter(({ key }) => {
      const predicted = results.predicted.get(key);
      return (
        predicted !== undefined &&
        live.has(key) &&
        versionOf(predicted) !== versionOf(live.get(key))
      );
    });
    if (moved.length === 0) return;
    await Promise.all(
      moved.map(async (target) => {
        const { object, resourceType, key } = target;
        const manifest = object.entry.manifest;
        // A failed read leaves the pair as it was: the comparison then shows the write.
        const fresh = await getObject(
          client,
          resourceType,
          manifest.metadata.namespace,
          manifest.metadata.name,
        ).catch(() => undefined);
        if (fresh === undefined) return; // deleted meanwhile, or unreadable: as first read
        live.set(key, fresh);
        if (versionOf(fresh) !== versionOf(results.predicted.get(key))) {
          results.predicted.delete(key);
          await dryRunOne(client, target, results);
        }
      }),
    );
  }
}

/** Dry-runs one target into `results` (a warning seen again is not repeated). */
async function dryRunOne(
  client: KubeClient,
  { object, resourceType, key, manager }: DryRunTarget,
  results: DryRunResults,
): Promise<void> {
  const manifest = object.entry.manifest;
  try {
    const res = await dryRunApply(client, resourceType, manifest, manager);
    results.predicted.set(key, res.object);
    for (const w of res.warnings) {
      const line = `${describeRef(refOf(manifest))}: ${w}`;
      if (!results.warnings.includes(line)) results.warnings.push(line);
    }
  } catch (e) {
    if (isAccessFailure(e))
      throw accessFailure(e, 'run the server-side apply dry-run', client, true);
    if (e instanceof KubeApiError && e.status === 422 && refusalIsImmutable(e.causes, e.message))
      results.refused.set(key, `${describeRef(refOf(manifest))}: ${e.message}`);
    else {
      results.unjudged.add(key);
      results.errors.push(
        `${describeRef(refOf(manifest))}: the server refused the dry-run apply (${e instanceof KubeApiError ? `${e.status} ${e.reason}: ${e.message}` : (e as Error).message})`,
      );
    }
  }
}
