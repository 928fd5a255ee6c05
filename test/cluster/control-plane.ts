import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import type { ApiClient, KubeObject } from './api-client';
import { applyRetrying } from './bootstrap';
import { goModuleDir } from './paths';
import { spawnDetached, type StartedProcess } from './processes';

/**
 * The rest of a region's control plane, beside etcd and kube-apiserver:
 *
 * - kube-controller-manager and kube-scheduler, built from the same pinned Kubernetes
 *   module, with their own identities (`system:kube-controller-manager`, each controller
 *   under its own ServiceAccount as kubeadm runs it, and `system:kube-scheduler`);
 * - kwok (sigs.k8s.io/kwok, "kwok" mode, out of cluster) in place of kubelets: it keeps
 *   three fake Nodes Ready and their leases fresh, moves scheduled Pods to Running/Ready,
 *   completes Job pods, lets deleted Pods go, and provisions and binds volumes for PVCs of
 *   its StorageClass `kwok-volume` (the default class). The Stage files come from the kwok
 *   module itself (its `kustomize/stage/` folder), so they follow the pin.
 * - Two more Stages of our own (below) play the cloud's load balancer: kube-controller-
 *   manager has no cloud provider, so nothing else would fill `status.loadBalancer` of an
 *   Ingress or a `type: LoadBalancer` Service, which Argo CD's health waits for.
 *
 * So Deployments get ReplicaSets and Ready Pods, StatefulSet claims bind, namespaces really
 * delete and the garbage collector removes dependents, as on a real cluster. Nothing runs
 * containers: Pods are Ready without a process behind them, and no traffic flows.
 */

/** What the control plane of a region runs, for state.json. */
export interface ControlPlaneProcesses {
  controllerManager: StartedProcess;
  scheduler: StartedProcess;
  kwok: StartedProcess;
}

/** Paths of the binaries. */
export interface ControlPlaneBinaries {
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
}

/** The client identities (pki tool `-user` entries) the control plane needs. */
export const CONTROL_PLANE_USERS: { file: string; spec: string }[] = [
  { file: 'kube-controller-manager', spec: 'system:kube-controller-manager' },
  { file: 'kube-scheduler', spec: 'system:kube-scheduler' },
  // kwok does what every kubelet of the cluster would: it needs more than one node's rights.
  { file: 'kwok', spec: 'system:kwok/system:masters' },
];

/** The fake Nodes of every region, one per zone. */
export const NODE_ZONES = ['a', 'b', 'c'] as const;

/** Pod IPs kwok hands out (distinct from the Service range, see SERVICE_CIDR). */
export const POD_CIDR = '10.244.0.0/16';

/** The Service range: 65,534 ClusterIPs, like a real cluster's, not a /24 full at 254. */
export const SERVICE_CIDR = '10.96.0.0/16';

/** The address the fake load balancer gives every Ingress and LoadBalancer Service. */
export const LOAD_BALANCER_IP = '198.51.100.10';

/** kwok's Stage files used here, as paths inside the kwok module. */
const KWOK_STAGES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
  'kustomize/stage/volume/fast/pvc-provision.yaml',
  'kustomize/stage/volume/fast/pv-bind.yaml',
  'kustomize/stage/volume/fast/pv-delete.yaml',
  'kustomize/stage/volume/fast/pvc-delete.yaml',
];
const KWOK_STORAGE_CLASS = 'kustomize/stage/volume/fast/storage-class.yaml';

/**
 * Stages of our own: the fake cloud load balancer. An Ingress or a LoadBalancer Service
 * without an address gets LOAD_BALANCER_IP, as a cloud controller would write it.
 */
const LOAD_BALANCER_STAGES = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mr-drift-ingress-load-balancer
spec:
  resourceRef:
    apiGroup: networking.k8s.io/v1
    kind: Ingress
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.loadBalancer.ingress'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      loadBalancer:
        ingress:
        - ip: ${LOAD_BALANCER_IP}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mr-drift-service-load-balancer
spec:
  resourceRef:
    apiGroup: v1
    kind: Service
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.spec.type'
      operator: 'In'
      values:
      - 'LoadBalancer'
    - key: '.status.loadBalancer.ingress'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      loadBalancer:
        ingress:
        - ip: ${LOAD_BALANCER_IP}
          ipMode: VIP
`;

let kwokDirCache: string | undefined;

/**
 * The folder of the pinned kwok module in Go's module cache (downloaded if missing), where
 * its Stage files are. The version comes from test/cluster/go/kwok/go.mod.
 */
export function kwokModuleDir(): string {
  if (kwokDirCache) return kwokDirCache;
  const r = spawnSync('go', ['mod', 'download', '-json', 'sigs.k8s.io/kwok'], {
    cwd: goModuleDir('kwok'),
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  const dir = r.status === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir || !existsSync(join(dir, KWOK_STORAGE_CLASS))) {
    throw new Error(
      `could not find the kwok module's Stage files (go mod download sigs.k8s.io/kwok in test/cluster/go/kwok: ${r.stderr?.trim() || r.error?.message || 'no Dir'})`,
    );
  }
  kwokDirCache = dir;
  return dir;
}

/** The Stage file kwok reads: kwok's own stages, then the load-balancer stages. */
export function kwokStages(): string {
  const dir = kwokModuleDir();
  const docs = KWOK_STAGES.map((f) => readFileSync(join(dir, f), 'utf8').trim());
  return `${[...docs, LOAD_BALANCER_STAGES.trim()].join('\n---\n')}\n`;
}

/** kwok's default StorageClass `kwok-volume`, as the module ships it. */
export function kwokStorageClass(): KubeObject {
  const text = readFileSync(join(kwokModuleDir(), KWOK_STORAGE_CLASS), 'utf8');
  return parseYaml(text) as KubeObject;
}

/** The fake Nodes, one per zone; kwok fills in their status (capacity, Ready, addresses). */
export function fakeNodes(region: string): KubeObject[] {
  return NODE_ZONES.map((zone) => {
    const name = `kwok-${region}-${zone}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'kwok',
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': `${region}-${zone}`,
          type: 'kwok',
        },
      },
      // No taints: generated workloads carry no toleration for kwok's usual one.
      spec: {},
    };
  });
}

/** A kubeconfig with file references (not embedded data) for one control-plane component. */
export function componentKubeconfig(server: string, pki: string, user: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${join(pki, 'ca.crt')}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate: ${join(pki, `${user}.crt`)}`,
    `    client-key: ${join(pki, `${user}.key`)}`,
    'contexts:',
    '- name: local',
    '  context:',
    '    cluster: local',
    `    user: ${user}`,
    'current-context: local',
    '',
  ].join('\n');
}

/**
 * Starts kube-controller-manager, kube-scheduler and kwok for a region whose apiserver
 * is ready, and installs the fake Nodes and the StorageClass. Does not wait: see
 * waitControlPlane. Each process is handed to `track` as soon as it is spawned.
 */
export async function startControlPlane(opts: {
  region: string;
  dir: string;
  pki: string;
  server: string;
  bins: ControlPlaneBinaries;
  client: ApiClient;
  track: (p: StartedProcess) => void;
}): Promise<ControlPlaneProcesses> {
  const { region, dir, pki, server, bins, client, track } = opts;
  const p = (f: string): string => join(pki, f);
  const kubeconfig = (user: string): string => {
    const file = join(dir, `${user}.kubeconfig`);
    writeFileSync(file, componentKubeconfig(server, pki, user), { mode: 0o600 });
    return file;
  };
  const header = (what: string): string => {
    const file = join(dir, `${what}.log`);
    writeFileSync(file, `# ${what} for region ${region}, started ${new Date().toISOString()}\n`);
    return file;
  };

  const kcmConfig = kubeconfig('kube-controller-manager');
  const kcm = spawnDetached(
    bins.kubeControllerManager,
    [
      `--kubeconfig=${kcmConfig}`,
      // It serves nothing we need (health, metrics): no port at all.
      '--secure-port=0',
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--controllers=*',
      // As kubeadm: each controller acts as its own ServiceAccount in kube-system, with a
      // token requested from the apiserver, under the bootstrap RBAC roles.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${p('sa.key')}`,
      `--root-ca-file=${p('ca.crt')}`,
      `--cluster-signing-cert-file=${p('ca.crt')}`,
      `--cluster-signing-key-file=${p('ca.key')}`,
      `--cluster-name=${region}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // kwok renews the Node leases, but on a machine starved of CPU a renewal can come
      // late; the default 50 s would mark the Nodes NotReady and every Pod unready
      // (kwok never makes them Ready again). Five minutes rides that out.
      '--node-monitor-grace-period=5m',
      '--profiling=false',
    ],
    header('kube-controller-manager'),
  );
  const controllerManager = started(kcm.pid, kcmConfig, 'kube-controller-manager');
  track(controllerManager);

  const schedConfig = kubeconfig('kube-scheduler');
  const sched = spawnDetached(
    bins.kubeScheduler,
    [
      `--kubeconfig=${schedConfig}`,
      `--authentication-kubeconfig=${schedConfig}`,
      `--authorization-kubeconfig=${schedConfig}`,
      '--secure-port=0',
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--profiling=false',
    ],
    header('kube-scheduler'),
  );
  const scheduler = started(sched.pid, schedConfig, 'kube-scheduler');
  track(scheduler);

  const stagesFile = join(dir, 'kwok-stages.yaml');
  writeFileSync(stagesFile, kwokStages());
  const kwokConfig = kubeconfig('kwok');
  const kw = spawnDetached(
    bins.kwok,
    [
      `--kubeconfig=${kwokConfig}`,
      `--config=${stagesFile}`,
      '--manage-all-nodes=true',
      '--node-lease-duration-seconds=40',
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.240.0.10',
    ],
    header('kwok'),
  );
  const kwok = started(kw.pid, kwokConfig, 'kwok');
  track(kwok);

  await Promise.all(
    [kwokStorageClass(), ...fakeNodes(region)].map((obj) => applyRetrying(client, obj, 120_000)),
  );
  return { controllerManager, scheduler, kwok };
}

function started(pid: number | undefined, marker: string, what: string): StartedProcess {
  if (pid === undefined) throw new Error(`could not start ${what}`);
  return { pid, marker };
}

interface NodeView {
  metadata: { name: string };
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Waits until the region schedules and runs Pods: every fake Node Ready and free of
 * taints (the node-lifecycle controller removes `not-ready` once kwok reports Ready), and
 * the `default` ServiceAccount exists (the controllers are at work). `alive` is polled so
 * that a process that exits fails the wait at once, with its name.
 */
export async function waitControlPlane(
  client: ApiClient,
  region: string,
  alive: () => string | undefined,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = new Set(fakeNodes(region).map((n) => n.metadata.name));
  let last: string;
  for (;;) {
    const dead = alive();
    if (dead) throw new Error(`${region}: ${dead}`);
    try {
      const nodes = await client.getJson<{ items: NodeView[] }>('/api/v1/nodes');
      const notReady = [...want].filter((name) => {
        const n = nodes.items.find((i) => i.metadata.name === name);
        const ready = n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return !ready || (n?.spec?.taints?.length ?? 0) > 0;
      });
      if (notReady.length) {
        last = `Nodes not Ready or still tainted: ${notReady.join(', ')}`;
      } else {
        const sa = await client.request(
          'GET',
          '/api/v1/namespaces/default/serviceaccounts/default',
        );
        if (sa.status === 200) return;
        last = 'no ServiceAccount default/default yet (kube-controller-manager not working)';
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${region}: control plane not ready after ${timeoutMs / 1000} s: ${last}`);
    }
    await sleep(250);
  }
}
