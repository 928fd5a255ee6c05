import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { clusterKubeconfig, describeCluster, kubectl, regions } from '../cluster/testing';
import { runCheck } from '../../src/pipeline/run-check';
import { CLI_WORDING } from '../../src/cli/cli-wording';
import {
  alfredWorkspace,
  applyInOrder,
  deleteObjects,
  summary,
  tempDir,
  type AlfredWorkspace,
} from './drift-helpers';

/**
 * The real API server throttling the check: a FlowSchema sends one (impersonated) user to
 * a priority level with a few seats that rejects instead of queueing, so most of the
 * check's parallel requests get a real 429 with Retry-After. The check must wait, retry and
 * still give the exact verdict; the server's own rejection counter proves the 429s happened.
 */

const suffix = randomBytes(3).toString('hex');
const name = `mr-drift-test-throttle-${suffix}`;
const user = `mr-drift-throttled-${suffix}`;

const apf = [
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name },
    spec: {
      type: 'Limited',
      limited: {
        nominalConcurrencyShares: 1,
        lendablePercent: 0,
        borrowingLimitPercent: 0,
        limitResponse: { type: 'Reject' },
      },
    },
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name },
    spec: {
      priorityLevelConfiguration: { name },
      matchingPrecedence: 100,
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [{ kind: 'User', user: { name: user } }],
          resourceRules: [
            {
              verbs: ['*'],
              apiGroups: ['*'],
              resources: ['*'],
              clusterScope: true,
              namespaces: ['*'],
            },
          ],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        },
      ],
    },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'mr-drift-read-only',
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  },
];

/** Sum of the server's APF rejection counter for our flow schema. */
async function rejected(region: string): Promise<number> {
  const metrics = await kubectl(region, ['get', '--raw', '/metrics']);
  return metrics
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('apiserver_flowcontrol_rejected_requests_total{') &&
        l.includes(`flow_schema="${name}"`),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describeCluster('throttled by API Priority and Fairness', () => {
  const region = regions()[1];
  let ws: AlfredWorkspace;
  let kubeconfig: string;
  let dispose: () => void;

  beforeAll(async () => {
    ws = alfredWorkspace([region]);
    await applyInOrder(region, ws.objects(region));
    await kubectl(region, ['label', 'deployment/alfred-api', 'owner=throttled'], {
      namespace: ws.namespace,
    });
    await kubectl(region, ['apply', '--server-side', '--field-manager=mr-drift-test', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apf }),
    });
    // The admin's credentials, impersonating the throttled user.
    let dir: string;
    ({ dir, dispose } = tempDir('throttle'));
    const config = parse(readFileSync(clusterKubeconfig(), 'utf8')) as {
      users: Array<{ name: string; user: Record<string, unknown> }>;
      contexts: Array<{ name: string; context: Record<string, unknown> }>;
    };
    const admin = config.users.find((u) => u.name === `${region}-admin`)!;
    config.users.push({ name: 'throttled', user: { ...admin.user, as: user } });
    config.contexts.push({ name: 'throttled', context: { cluster: region, user: 'throttled' } });
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, stringify(config));
    // The APF configuration controller picks the new objects up within moments.
    await new Promise((r) => setTimeout(r, 3000));
  });

  afterAll(async () => {
    await kubectl(region, ['delete', '--ignore-not-found', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apf }),
    });
    await deleteObjects(region, ws.objects(region));
    ws.dispose();
    dispose();
  });

  it('waits out 429 + Retry-After and still reports exactly the drift', async () => {
    const before = await rejected(region);
    const report = await runCheck({
      path: ws.dir,
      regions: [region],
      wording: CLI_WORDING,
      contexts: { [region]: 'throttled' },
      kubeconfig,
      mode: 'read-only',
      concurrency: 16,
    });
    const [r] = report.regions;
    expect(r.error).toBeUndefined();
    expect(summary(r.findings)).toEqual([
      {
        kind: 'Deployment',
        name: 'alfred-api',
        type: 'changed',
        fields: { '/metadata/labels/owner': 'kubectl-label' },
      },
    ]);
    expect(await rejected(region)).toBeGreaterThan(before);
  });
});
