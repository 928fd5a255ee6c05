/**
 * Reads a region's live objects as planned by core/compare/read-plan.ts: the full LISTs of
 * the collections holding desired objects, and the searches for extra objects by the app's
 * labels. The search by Git's labels runs alongside the LISTs; a second one follows for
 * labels only the live copies carry (the engine's tracking labels).
 */
import { appIdentity, identitySelectors } from '../core/compare/extra-objects';
import { objectKey, refOf, type KubeObject } from '../core/compare/kube-object';
import type { Collection, ReadPlan } from '../core/compare/read-plan';
import { accessFailure, withAccessErrors } from '../adapters/kube/access-errors';
import { KubeApiError, type KubeClient } from '../adapters/kube/kube-client';
import { listObjects } from '../adapters/kube/read-live';

export interface LiveObjects {
  /** Live objects of the listed collections, by `objectKey`. */
  live: Map<string, KubeObject>;
  /** Every object read (listed or found by the app's labels): the possible extras. */
  candidates: KubeObject[];
}

/**
 * Runs the plan. A server that cannot be reached fails the region; a search the cluster
 * refuses (RBAC) becomes one warning per resource, never a silent gap.
 */
export async function readRegionLive(
  client: KubeClient,
  plan: ReadPlan,
  desired: readonly KubeObject[],
  warnings: string[],
  progress: (done: number, total: number) => void,
): Promise<LiveObjects> {
  const candidates: KubeObject[] = [];
  const denied = new Set<string>();
  const search = (selectors: string[]) =>
    Promise.all(
      plan.searches.flatMap((collection) =>
        selectors.map((labelSelector) =>
          searchCollection(client, collection, labelSelector, candidates, (what, e) => {
            if (!denied.has(what))
              warnings.push(
                `could not look for extra ${what}: ${e instanceof KubeApiError ? `${e.status} ${e.reason}` : (e as Error).message}`,
              );
            denied.add(what);
          }),
        ),
      ),
    );
  const live = new Map<string, KubeObject>();
  let done = 0;
  // The LISTs first: the comparison waits for them, so they get the first request slots.
  const reading = withAccessErrors(client, 'list the live objects', () =>
    Promise.all(
      plan.lists.map(async ({ resourceType, namespace }) => {
        const items = await listObjects(client, resourceType, namespace ? { namespace } : {});
        for (const item of items) {
          live.set(objectKey(refOf(item)), item);
          candidates.push(item);
        }
        progress(++done, plan.lists.length);
      }),
    ),
  );
  // The app's labels in Git are known before anything is read: that search runs alongside
  // the LISTs instead of after them.
  const fromGit = appIdentity(desired, []);
  const early = search(identitySelectors(fromGit));
  // A failure of the early search is reported once the LISTs have settled.
  early.catch(() => undefined);
  await reading;

  // Labels the GitOps engine added to the live copies (Argo CD's instance label, Flux's
  // labels) identify the app too: a second search, only for those values.
  const liveCopies = desired
    .map((m) => live.get(objectKey(refOf(m))))
    .filter((o): o is KubeObject => o !== undefined);
  const later = identitySelectors(appIdentity(desired, liveCopies), fromGit);
  await Promise.all([early, search(later)]);
  return { live, candidates };
}

async function searchCollection(
  client: KubeClient,
  { resourceType: rt, namespace }: Collection,
  labelSelector: string,
  found: KubeObject[],
  refused: (what: string, e: unknown) => void,
): Promise<void> {
  try {
    found.push(
      ...(await listObjects(client, rt, { labelSelector, ...(namespace ? { namespace } : {}) })),
    );
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 0)
      throw accessFailure(e, 'list objects to find extra ones', client);
    refused(`${rt.resource}${rt.group ? `.${rt.group}` : ''}`, e);
  }
}
