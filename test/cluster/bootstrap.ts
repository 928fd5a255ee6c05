import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import type { ApiClient, KubeObject } from './api-client';
import { HARNESS_FIELD_MANAGER, repoRoot, sharedDir } from './paths';

/**
 * What every fresh region gets before tests see it: the shipped ClusterRoles from
 * deploy/rbac/ bound to the harness's read-only and drift-checker users, and the CRDs of
 * the shared folder (Argo CD, Flux and the production operators) plus the Prometheus
 * Operator's monitors and rules, applied server-side and waited for until Established, so
 * every generated custom resource meets the real schema.
 */

/** User names (certificate CNs) of the two restricted identities. */
export const READONLY_USER = 'readonly';
export const DRIFT_CHECKER_USER = 'drift-checker';

/** The ClusterRoles users apply to their own clusters, and who gets them here. */
const ROLE_BINDINGS: { file: string; role: string; user: string }[] = [
  { file: 'deploy/rbac/read-only.yaml', role: 'mr-drift-read-only', user: READONLY_USER },
  { file: 'deploy/rbac/drift-checker.yaml', role: 'mr-drift-checker', user: DRIFT_CHECKER_USER },
];

/** Reads every object of a multi-document YAML file, naming the file on a parse error. */
export function readObjects(file: string): KubeObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (obj && typeof obj === 'object' && obj.kind) out.push(obj);
  }
  return out;
}

/** The RBAC objects: the shipped ClusterRoles plus one ClusterRoleBinding per user. */
export function rbacObjects(): KubeObject[] {
  const out: KubeObject[] = [];
  for (const b of ROLE_BINDINGS) {
    const roles = readObjects(join(repoRoot, b.file));
    if (!roles.some((r) => r.kind === 'ClusterRole' && r.metadata.name === b.role)) {
      throw new Error(`${b.file}: expected a ClusterRole named ${b.role}`);
    }
    out.push(...roles, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `mr-drift-harness-${b.user}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: b.user }],
    });
  }
  return out;
}

/**
 * The Prometheus Operator CRDs a generated tree uses (its `monitoring` section). They are
 * not in crds/ but in the kube-prometheus corpus (v0.18.0, operator 0.92.0); the other
 * kinds of that folder are not generated, and each CRD costs start-up time.
 */
export const PROMETHEUS_OPERATOR_CRD_FILES = [
  '0servicemonitorCustomResourceDefinition.yaml',
  '0podmonitorCustomResourceDefinition.yaml',
  '0prometheusruleCustomResourceDefinition.yaml',
];

/** Every CRD manifest under the shared crds/ folder, then the Prometheus Operator's, in a stable order. */
export function crdFiles(): string[] {
  const root = join(sharedDir(), 'crds');
  if (!existsSync(root)) {
    throw new Error(
      `no CRD folder at ${root}: the Argo CD and Flux CRDs are installed in every test cluster; set MR_DRIFT_SHARED_DIR to the folder that holds crds/`,
    );
  }
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry)) files.push(full);
    }
  };
  walk(root);
  if (!files.length) throw new Error(`${root}: no YAML files found`);
  const setup = join(sharedDir(), 'corpus', 'kube-prometheus', 'manifests', 'setup');
  for (const file of PROMETHEUS_OPERATOR_CRD_FILES) {
    const full = join(setup, file);
    if (!existsSync(full)) throw new Error(`${full}: Prometheus Operator CRD not found`);
    files.push(full);
  }
  return files;
}

/** Applies RBAC and CRDs to a fresh region and waits for every CRD to be Established. */
export async function bootstrapRegion(client: ApiClient, timeoutMs = 120_000): Promise<void> {
  const crds: KubeObject[] = [];
  for (const file of crdFiles()) {
    for (const obj of readObjects(file)) {
      if (obj.kind !== 'CustomResourceDefinition') {
        throw new Error(`${relative(sharedDir(), file)}: expected only CRDs, found ${obj.kind}`);
      }
      crds.push(obj);
    }
  }
  // Sent together; the objects do not depend on each other (a binding may name its role
  // before the role exists), and the server's work on each CRD can overlap.
  await Promise.all(
    [...rbacObjects(), ...crds].map((obj) => applyRetrying(client, obj, timeoutMs)),
  );
  await waitEstablished(
    client,
    crds.map((c) => c.metadata.name),
    timeoutMs,
  );
}

/**
 * Server-side applies one object, again after a server-side timeout (HTTP 503/504) or a
 * dropped connection, until `timeoutMs` has passed: on a machine whose two cores are busy
 * with other work, a fresh API server can take longer than its own 60 s request limit to
 * take a large CRD. Applying again is safe (the same object, the same field manager). Any
 * other error fails at once.
 */
export async function applyRetrying(
  client: ApiClient,
  obj: KubeObject,
  timeoutMs: number,
): Promise<KubeObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.apply(obj, HARNESS_FIELD_MANAGER);
    } catch (err) {
      const msg = (err as Error).message;
      const transient =
        /HTTP 50[34]|timed? ?out|socket hang up|ECONNRESET|socket disconnected/i.test(msg);
      if (!transient || Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Waits until every named CRD is Established (its API serves). */
export async function waitEstablished(
  client: ApiClient,
  names: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(names);
  while (pending.size) {
    for (const name of [...pending]) {
      const crd = await client.getJson<CrdStatus>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      const established = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) pending.delete(name);
    }
    if (!pending.size) break;
    if (Date.now() > deadline) {
      throw new Error(
        `CRDs not Established after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`,
      );
    }
    await sleep(200);
  }
}
