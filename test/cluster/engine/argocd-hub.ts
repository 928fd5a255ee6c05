import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ApiClient, KubeObject } from '../api-client';
import { pinnedVersion } from '../binaries';
import { readObjects, waitEstablished } from '../bootstrap';
import type { RegionCredentials } from '../kubeconfig';
import { goModuleDir, HARNESS_FIELD_MANAGER } from '../paths';

/**
 * The objects Argo CD reads on the hub before it does anything, as its install manifests
 * create them: the namespace, its own release's CRDs, the settings ConfigMaps and Secret
 * (labelled `app.kubernetes.io/part-of: argocd`, or the settings informer does not see
 * them and every reconcile fails with "error retrieving argocd-cm"), and one cluster
 * Secret per region.
 */

/** Field manager of the harness's own Argo CD objects (not the app's). */
export const ARGOCD_SETUP_MANAGER = 'mr-drift-harness-argocd';

const PART_OF = { 'app.kubernetes.io/part-of': 'argocd' };

/**
 * The folder of Argo CD's manifests for the pinned release, from the Go module cache
 * (`go mod download` fetches the module zip if the cache lacks it: a few seconds).
 */
export function argocdManifestsDir(): string {
  const version = pinnedVersion('argocd', 'github.com/argoproj/argo-cd/v3');
  const out = execFileSync(
    'go',
    ['mod', 'download', '-json', `github.com/argoproj/argo-cd/v3@${version}`],
    {
      cwd: goModuleDir('argocd'),
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    },
  );
  const { Dir } = JSON.parse(out) as { Dir?: string };
  if (!Dir) throw new Error(`go mod download of argo-cd ${version} gave no folder`);
  return join(Dir, 'manifests');
}

/** The Application, ApplicationSet and AppProject CRDs of the pinned release. */
export function argocdCrds(): KubeObject[] {
  const dir = join(argocdManifestsDir(), 'crds');
  return ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'].flatMap((f) =>
    readObjects(join(dir, f)),
  );
}

/**
 * Argo CD's own health check for an ExternalSecret (v3.2.11,
 * `resource_customizations/external-secrets.io/ExternalSecret/health.lua`) follows the
 * `Ready` condition the External Secrets Operator writes, and calls the object Progressing
 * until there is one. The test regions run no such operator, so every ExternalSecret of the
 * bundled config would stay Progressing, its Application never Healthy, and RollingSync
 * would never leave the first wave. This override decides as upstream does on a `Ready`
 * condition (True: Healthy, False: Degraded, none yet: Progressing), except that an
 * ExternalSecret with no status at all (no operator has seen it) counts as Healthy, with a
 * message saying why.
 */
export const EXTERNAL_SECRET_HEALTH = `local hs = {}
if obj.status == nil then
  hs.status = "Healthy"
  hs.message = "No status: no External Secrets Operator runs in this test region"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for ExternalSecret"
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then
    if c.status == "True" then hs.status = "Healthy" end
    if c.status == "False" then hs.status = "Degraded" end
    if c.status == "True" or c.status == "False" then hs.message = c.message end
  end
end
return hs
`;

/**
 * Argo CD's health check for a CloudNativePG Cluster (v3.2.11,
 * `resource_customizations/postgresql.cnpg.io/Cluster/health.lua`) maps the phase the
 * operator writes, and calls a Cluster without status Progressing. No operator runs in the
 * test regions, so, as for EXTERNAL_SECRET_HEALTH, this override counts a Cluster that has
 * no status at all as Healthy (applied, not waited for) and says why; with a status it is
 * Healthy only in the operator's healthy phase.
 */
export const CNPG_CLUSTER_HEALTH = `local hs = {}
if obj.status == nil then
  hs.status = "Healthy"
  hs.message = "No status: no CloudNativePG operator runs in this test region"
  return hs
end
if obj.status.phase == "Cluster in healthy state" then
  hs.status = "Healthy"
else
  hs.status = "Progressing"
end
hs.message = obj.status.phase
return hs
`;

/** Settings of the hub install that differ from Argo CD's defaults. */
export interface HubSettings {
  namespace: string;
  /** Seconds between refreshes, recorded in argocd-cm as `timeout.reconciliation`. */
  appResyncSeconds: number;
}

function configMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { ...PART_OF, 'app.kubernetes.io/name': name } },
    data,
  };
}

/** The namespace and the settings ConfigMaps of an Argo CD install. */
export function hubObjects(s: HubSettings): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace } },
    configMap(s.namespace, 'argocd-cm', {
      // Annotation tracking is the v3 default; spelled out because the drift check reads it.
      'application.resourceTrackingMethod': 'annotation',
      'timeout.reconciliation': `${s.appResyncSeconds}s`,
      // See EXTERNAL_SECRET_HEALTH.
      'resource.customizations.health.external-secrets.io_ExternalSecret': EXTERNAL_SECRET_HEALTH,
      // See CNPG_CLUSTER_HEALTH.
      'resource.customizations.health.postgresql.cnpg.io_Cluster': CNPG_CLUSTER_HEALTH,
    }),
    // Only argocd-server reads RBAC, and it does not run here; the empty policy is the
    // install's default.
    configMap(s.namespace, 'argocd-rbac-cm', {}),
  ];
}

/**
 * argocd-cmd-params-cm. Out of a cluster the components take their parameters as flags
 * (startArgocdProcesses); this ConfigMap holds the same values under the keys the install
 * manifests map to those flags, so that it tells what the hub runs with, as on a real one.
 */
export function cmdParamsConfigMap(
  namespace: string,
  addresses: { repoServerAddress: string; redisAddress: string },
): KubeObject {
  return configMap(namespace, 'argocd-cmd-params-cm', {
    'repo.server': addresses.repoServerAddress,
    'redis.server': addresses.redisAddress,
    'controller.repo.server.plaintext': 'true',
    'reposerver.disable.tls': 'true',
    'applicationsetcontroller.repo.server.plaintext': 'true',
    'applicationsetcontroller.enable.progressive.syncs': 'true',
  });
}

/**
 * argocd-secret with `server.secretkey`, which argocd-server would generate and without
 * which the settings are "incomplete". Random per hub; never printed.
 */
export function argocdSecret(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'argocd-secret',
      namespace,
      labels: { ...PART_OF, 'app.kubernetes.io/name': 'argocd-secret' },
    },
    type: 'Opaque',
    stringData: { 'server.secretkey': randomBytes(32).toString('base64') },
  };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * A cluster Secret registering one region with Argo CD: its name (for
 * `destination.name`), its server URL (which must equal `destination.server` exactly) and
 * the admin client certificate, as `argocd cluster add` would store a cluster's
 * credentials. `namespaces` limits what the controller watches in that region to the
 * app's namespace (plus cluster-scoped objects), as a production install restricted to
 * one app would; the test regions also hold other tests' objects.
 */
export function clusterSecret(
  namespace: string,
  region: RegionCredentials,
  watchNamespaces: string[],
): KubeObject {
  const config = {
    tlsClientConfig: {
      caData: b64(region.caPem),
      certData: b64(region.users.admin.certPem),
      keyData: b64(region.users.admin.keyPem),
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: `cluster-${region.region}`,
      namespace,
      labels: { ...PART_OF, 'argocd.argoproj.io/secret-type': 'cluster' },
    },
    type: 'Opaque',
    stringData: {
      name: region.region,
      server: region.server,
      config: JSON.stringify(config),
      namespaces: watchNamespaces.join(','),
      clusterResources: 'true',
    },
  };
}

/**
 * Applies the CRDs (waiting until they serve), then the namespace, settings and cluster
 * Secrets. Safe to repeat: every object is applied server-side. The Secret's key is kept
 * if it exists, so a running controller's sessions stay valid.
 */
export async function installHubObjects(
  client: ApiClient,
  settings: HubSettings,
  clusters: KubeObject[],
): Promise<void> {
  const crds = argocdCrds();
  // Argo CD's own release of its CRDs, over the newer copies every test region starts
  // with: applied by the manager that applied those, so that they are replaced, not merged.
  await Promise.all(crds.map((c) => client.apply(c, HARNESS_FIELD_MANAGER)));
  await waitEstablished(
    client,
    crds.map((c) => c.metadata.name),
    120_000,
  );
  const [namespace, ...settingsObjects] = hubObjects(settings);
  if (namespace) await client.apply(namespace, ARGOCD_SETUP_MANAGER);
  const secret = await client.request(
    'GET',
    `/api/v1/namespaces/${settings.namespace}/secrets/argocd-secret`,
  );
  const objects = [...settingsObjects, ...clusters];
  if (secret.status === 404) objects.push(argocdSecret(settings.namespace));
  await Promise.all(objects.map((o) => client.apply(o, ARGOCD_SETUP_MANAGER)));
}
