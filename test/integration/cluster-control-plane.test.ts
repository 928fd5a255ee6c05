import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOAD_BALANCER_IP, NODE_ZONES } from '../cluster/control-plane';
import {
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  kubectlJson,
  regions,
} from '../cluster/testing';

/**
 * The control plane every test region runs beside etcd and kube-apiserver
 * (test/cluster/control-plane.ts): kube-controller-manager, kube-scheduler and kwok with
 * fake Nodes. Each test drives one real behaviour through the real processes and waits for
 * its outcome: Pods Ready, claims Bound, namespaces gone, dependents collected, load
 * balancer addresses written, and a Service range that holds hundreds of Services.
 */

const REGION = 'us-east';

interface Obj {
  metadata: {
    name: string;
    uid: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
interface List {
  items: Obj[];
}

/** Polls `probe` until it returns a value, or fails naming `what` and the last value seen. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs / 1000} s (last: ${String(last)})`);
    }
    await sleep(500);
  }
}

async function exists(kind: string, name: string, namespace?: string): Promise<boolean> {
  const out = await kubectl(REGION, ['get', kind, name, '--ignore-not-found', '-o', 'name'], {
    ...(namespace ? { namespace } : {}),
  });
  return out.trim() !== '';
}

let ns: string;
beforeAll(async () => {
  ns = await freshNamespace('control-plane', [REGION]);
});
afterAll(async () => {
  if (ns) await dropNamespace(ns, [REGION]);
});

describeCluster('test regions: a working control plane', () => {
  it('every region has its three fake Nodes Ready and schedulable', async () => {
    for (const region of regions()) {
      const nodes = await kubectlJson<{
        items: {
          metadata: { name: string };
          spec: { taints?: unknown[]; unschedulable?: boolean };
          status: { conditions: { type: string; status: string }[] };
        }[];
      }>(region, ['get', 'nodes']);
      expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(
        NODE_ZONES.map((z) => `kwok-${region}-${z}`),
      );
      for (const n of nodes.items) {
        expect(n.status.conditions.find((c) => c.type === 'Ready')?.status, n.metadata.name).toBe(
          'True',
        );
        expect(n.spec.taints ?? []).toEqual([]);
      }
    }
  });

  it('a Deployment gets a ReplicaSet and Ready Pods on the fake Nodes', async () => {
    await kubectl(REGION, ['apply', '-f', '-'], {
      namespace: ns,
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      }),
    });
    await kubectl(REGION, ['rollout', 'status', 'deployment/web', '--timeout=180s'], {
      namespace: ns,
      timeoutMs: 200_000,
    });
    const deploy = await kubectlJson<Obj>(REGION, ['get', 'deployment', 'web'], { namespace: ns });
    expect(deploy.status?.readyReplicas).toBe(3);
    expect(deploy.status?.availableReplicas).toBe(3);
    const rs = await kubectlJson<List>(REGION, ['get', 'replicasets'], { namespace: ns });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]?.metadata.ownerReferences?.[0]?.uid).toBe(deploy.metadata.uid);
    const pods = await kubectlJson<List>(REGION, ['get', 'pods', '-l', 'app=web'], {
      namespace: ns,
    });
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toMatch(new RegExp(`^kwok-${REGION}-[abc]$`));
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.podIP).toMatch(/^10\.244\./);
    }
    // The endpoints controllers see the Ready Pods too.
    await kubectl(REGION, ['expose', 'deployment', 'web', '--port=80'], { namespace: ns });
    const slices = await eventually('an EndpointSlice with 3 ready endpoints', async () => {
      const l = await kubectlJson<{
        items: { endpoints?: { conditions?: { ready?: boolean } }[] }[];
      }>(REGION, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'], {
        namespace: ns,
      });
      const ready = l.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return ready.length === 3 ? ready : undefined;
    });
    expect(slices).toHaveLength(3);
  });

  it("a StatefulSet's claim is provisioned and Bound, and its Pod becomes Ready", async () => {
    await kubectl(REGION, ['apply', '-f', '-'], {
      namespace: ns,
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'postgres:17' }] },
          },
          // No storageClassName: the default class (kwok-volume) is filled in.
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      }),
    });
    await kubectl(REGION, ['rollout', 'status', 'statefulset/db', '--timeout=180s'], {
      namespace: ns,
      timeoutMs: 200_000,
    });
    const pvcs = await kubectlJson<List>(REGION, ['get', 'pvc', '-l', 'app=db'], {
      namespace: ns,
    });
    expect(pvcs.items.map((p) => p.metadata.name).sort()).toEqual(['data-db-0', 'data-db-1']);
    for (const pvc of pvcs.items) {
      expect(pvc.status?.phase).toBe('Bound');
      expect(pvc.spec?.storageClassName).toBe('kwok-volume');
      const pv = await kubectlJson<Obj>(REGION, ['get', 'pv', String(pvc.spec?.volumeName)]);
      expect(pv.status?.phase).toBe('Bound');
      expect((pv.spec?.claimRef as { uid: string }).uid).toBe(pvc.metadata.uid);
    }
  });

  it('a Job runs to completion', async () => {
    await kubectl(REGION, ['create', 'job', 'once', '--image=busybox:1.37', '--', 'true'], {
      namespace: ns,
    });
    await kubectl(REGION, ['wait', '--for=condition=Complete', 'job/once', '--timeout=120s'], {
      namespace: ns,
      timeoutMs: 140_000,
    });
  });

  it('the garbage collector deletes dependents: a ConfigMap owned by another, and a Deployment’s Pods', async () => {
    await kubectl(REGION, ['create', 'configmap', 'owner', '--from-literal=a=1'], {
      namespace: ns,
    });
    const owner = await kubectlJson<Obj>(REGION, ['get', 'configmap', 'owner'], {
      namespace: ns,
    });
    await kubectl(REGION, ['apply', '-f', '-'], {
      namespace: ns,
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid },
          ],
        },
        data: { b: '2' },
      }),
    });
    await kubectl(REGION, ['delete', 'configmap', 'owner', '--wait=true'], { namespace: ns });
    await eventually('the dependent ConfigMap to be collected', async () =>
      (await exists('configmap', 'dependent', ns)) ? undefined : true,
    );

    // Foreground deletion waits on the collector too (it hung before there was one).
    await kubectl(
      REGION,
      ['delete', 'deployment', 'web', '--cascade=foreground', '--timeout=120s'],
      { namespace: ns, timeoutMs: 140_000 },
    );
    await eventually('the Pods of the deleted Deployment to go', async () => {
      const pods = await kubectlJson<List>(REGION, ['get', 'pods', '-l', 'app=web'], {
        namespace: ns,
      });
      const rs = await kubectlJson<List>(REGION, ['get', 'replicasets'], { namespace: ns });
      return pods.items.length === 0 && rs.items.length === 0 ? true : undefined;
    });
  });

  it('an Ingress and a LoadBalancer Service get a load-balancer address; a ClusterIP Service does not', async () => {
    await kubectl(REGION, ['apply', '-f', '-'], {
      namespace: ns,
      input: [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'front' },
          spec: {
            rules: [
              {
                host: 'front.example.com',
                http: {
                  paths: [
                    {
                      path: '/',
                      pathType: 'Prefix',
                      backend: { service: { name: 'lb', port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'lb' },
          spec: { type: 'LoadBalancer', selector: { app: 'x' }, ports: [{ port: 80 }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'plain' },
          spec: { selector: { app: 'x' }, ports: [{ port: 80 }] },
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    });
    for (const [kind, name] of [
      ['ingress', 'front'],
      ['service', 'lb'],
    ]) {
      const ip = await eventually(
        `${kind}/${name} to get status.loadBalancer.ingress`,
        async () => {
          const o = await kubectlJson<Obj>(REGION, ['get', kind, name], { namespace: ns });
          const lb = o.status?.loadBalancer as { ingress?: { ip?: string }[] } | undefined;
          return lb?.ingress?.[0]?.ip;
        },
      );
      expect(ip).toBe(LOAD_BALANCER_IP);
    }
    const plain = await kubectlJson<Obj>(REGION, ['get', 'service', 'plain'], { namespace: ns });
    expect(plain.status?.loadBalancer).toEqual({});
  });

  it('the Service range holds more than 250 Services (a /16, with kubernetes at 10.96.0.1)', async () => {
    const kubernetes = await kubectlJson<Obj>(REGION, ['get', 'service', 'kubernetes'], {
      namespace: 'default',
    });
    expect(kubernetes.spec?.clusterIP).toBe('10.96.0.1');
    const many = Array.from({ length: 260 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}` },
      spec: { selector: { app: `a${i}` }, ports: [{ port: 80 }] },
    }));
    await kubectl(REGION, ['apply', '--server-side', '-f', '-'], {
      namespace: ns,
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: many }),
      timeoutMs: 240_000,
    });
    const list = await kubectlJson<List>(REGION, ['get', 'services'], {
      namespace: ns,
    });
    const ips = list.items
      .filter((s) => s.metadata.name.startsWith('svc-'))
      .map((s) => String(s.spec?.clusterIP));
    expect(ips).toHaveLength(260);
    expect(new Set(ips).size).toBe(260);
    for (const ip of ips) expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
  });

  it('a deleted namespace really goes away, with what was in it', async () => {
    const doomed = await freshNamespace('doomed', [REGION]);
    await kubectl(REGION, ['create', 'configmap', 'inside', '--from-literal=a=1'], {
      namespace: doomed,
    });
    // The namespace's own controllers are at work in it: its ServiceAccount and CA bundle.
    await eventually(
      'the default ServiceAccount and kube-root-ca.crt in a new namespace',
      async () =>
        (await exists('serviceaccount', 'default', doomed)) &&
        (await exists('configmap', 'kube-root-ca.crt', doomed))
          ? true
          : undefined,
    );
    await kubectl(REGION, ['delete', 'namespace', doomed, '--timeout=120s'], {
      timeoutMs: 140_000,
    });
    expect(await exists('namespace', doomed)).toBe(false);
  });
});
