import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/compare/kube-object';
import {
  clusterKubeconfig,
  describeCluster,
  freshNamespace,
  kubectl,
  kubectlJson,
  regions,
} from '../cluster/testing';
import { KubeClient } from '../../src/adapters/kube/kube-client';
import { loadKubeconfig } from '../../src/adapters/kube/kubeconfig';
import type { DryRunTarget } from '../../src/core/compare/dry-run-targets';
import type { ResolvedObject } from '../../src/core/compare/resolve-desired';
import { predictByDryRun } from '../../src/pipeline/predict-by-dry-run';

/**
 * A controller writing an object between the check's LIST and its dry-run (the regions'
 * controller-manager does it to a Deployment at a rollout) made the prediction and the
 * live copy differ by that write: a false finding seen in CI. Here the race is made
 * certain: the object is read, then changed by another manager, then dry-run with the
 * stale copy as "live". predictByDryRun must read it again, so that the prediction and
 * the live copy are of the same stored version.
 */

const region = regions()[0];

describeCluster('the dry-run settles objects that moved after they were read', () => {
  let client: KubeClient;
  let ns: string;
  beforeAll(async () => {
    ns = await freshNamespace('dry-run-settle', [region]);
    client = await KubeClient.connect(loadKubeconfig(clusterKubeconfig()), { context: region });
  });
  afterAll(() => client?.close());

  it('reads the object again and predicts from the version it compares with', async () => {
    const manifest: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settle', namespace: ns },
      data: { a: '1' },
    };
    await kubectl(
      region,
      ['apply', '--server-side', '--field-manager=argocd-controller', '-f', '-'],
      { input: JSON.stringify(manifest) },
    );
    const stale = await kubectlJson<KubeObject>(
      region,
      ['get', 'configmap', 'settle', '-o', 'json'],
      {
        namespace: ns,
      },
    );
    // Someone else writes it after the read (as a controller would).
    await kubectl(
      region,
      [
        'annotate',
        'configmap',
        'settle',
        'controller.example/revision=2',
        '--field-manager=some-controller',
      ],
      { namespace: ns },
    );
    const key = `v1/ConfigMap/${ns}/settle`;
    const live = new Map([[key, stale]]);
    const target: DryRunTarget = {
      key,
      manager: 'argocd-controller',
      resourceType: {
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
        resource: 'configmaps',
        namespaced: true,
        verbs: [],
      },
      object: { entry: { manifest } } as unknown as ResolvedObject,
    };
    const results = await predictByDryRun(client, [target], live, () => undefined);
    const predicted = results.predicted.get(key)!;
    expect(results.errors).toEqual([]);
    expect(predicted.metadata.resourceVersion).not.toBe(stale.metadata.resourceVersion);
    expect(live.get(key)!.metadata.resourceVersion).toBe(predicted.metadata.resourceVersion);
    expect(live.get(key)!.metadata.annotations).toEqual({ 'controller.example/revision': '2' });
  });
});
