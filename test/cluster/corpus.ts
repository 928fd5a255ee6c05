import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './api-client';
import { sharedDir } from './paths';

/**
 * Loads a corpus from the shared folder (real-world manifests) and moves it into a
 * namespace of the caller's choosing, so it can be applied to the shared test clusters
 * again and again: each run takes a fresh namespace (another run may still be deleting an old one),
 * and two runs must not fight over the same cluster-scoped names.
 *
 * Nothing else is changed: every object is applied as upstream wrote it.
 */

/** The corpora in ../shared/corpus, with the namespace each one expects (if any). */
export const CORPORA: Record<string, { namespace?: string; kustomize?: boolean }> = {
  'microservices-demo': {},
  podinfo: { kustomize: true },
  'argo-cd': { namespace: 'argocd' },
  'kube-prometheus': { namespace: 'monitoring' },
};

/** Kinds the corpora contain that are cluster-scoped; every other kind is namespaced. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'PriorityClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** A corpus, ready to apply in three steps. */
export interface PreparedCorpus {
  /** CRDs (apply first, wait until Established); kept as they are. */
  crds: KubeObject[];
  /** The namespace objects (apply second). */
  namespaces: KubeObject[];
  /** Everything else (apply last). */
  objects: KubeObject[];
  /**
   * Objects to check with a server-side dry-run only. An APIService whose backing Service
   * has no endpoints (there are no Pods here) breaks API discovery for every client of
   * the cluster while it exists, so it is validated, not stored.
   */
  dryRunOnly: KubeObject[];
}

/** The folder of a corpus in the shared folder (beside the repository). */
export function corpusDir(name: string): string {
  return join(sharedDir(), 'corpus', name);
}

/** Reads every object of a corpus (kustomize-rendered where the corpus is a kustomization). */
export function readCorpus(name: string): KubeObject[] {
  const spec = CORPORA[name];
  if (!spec) throw new Error(`unknown corpus ${name}; known: ${Object.keys(CORPORA).join(', ')}`);
  const dir = corpusDir(name);
  if (!existsSync(dir)) throw new Error(`corpus folder ${dir} is missing; set MR_DRIFT_SHARED_DIR`);
  const texts: { file: string; text: string }[] = [];
  if (spec.kustomize) {
    // kubectl's built-in kustomize, as the product renders; MR_DRIFT_KUBECTL picks another.
    const kubectl = process.env.MR_DRIFT_KUBECTL || 'kubectl';
    texts.push({
      file: dir,
      text: execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8' }),
    });
  } else {
    for (const file of yamlFiles(dir)) texts.push({ file, text: readFileSync(file, 'utf8') });
  }
  const out: KubeObject[] = [];
  for (const { file, text } of texts) {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS({ maxAliasCount: -1 }) as KubeObject | null;
      if (!obj || typeof obj !== 'object' || !obj.kind) continue;
      // kubectl applies the items of a `*List`, so do the same.
      if (obj.kind.endsWith('List') && Array.isArray(obj.items))
        out.push(...(obj.items as KubeObject[]));
      else out.push(obj);
    }
  }
  return out;
}

/** Loads a corpus and moves it into `namespace` (see {@link relocate}). */
export function prepareCorpus(name: string, namespace: string, suffix: string): PreparedCorpus {
  return relocate(readCorpus(name), CORPORA[name]?.namespace, namespace, suffix);
}

/**
 * Moves objects into `namespace`: namespaced objects without a namespace or in `own` (the
 * namespace they were written for) go there, as `kubectl apply -n` would; the Namespace
 * object `own` becomes `namespace`; ServiceAccount subjects and Service references
 * follow. Objects outside that namespace (cluster-scoped ones, or Roles placed in
 * kube-system) get `-<suffix>` on their names, with the role references pointing at them
 * renamed to match. CRDs keep their names (they must) and contents.
 */
export function relocate(
  input: KubeObject[],
  own: string | undefined,
  namespace: string,
  suffix: string,
): PreparedCorpus {
  const objects = input.map((o) => structuredClone(o));
  const renamed = { Role: new Set<string>(), ClusterRole: new Set<string>() };
  const out: PreparedCorpus = { crds: [], namespaces: [], objects: [], dryRunOnly: [] };

  for (const o of objects) {
    const m = o.metadata;
    if (o.kind === 'CustomResourceDefinition') {
      out.crds.push(o);
      continue;
    }
    if (o.kind === 'Namespace') {
      if (m.name === own) m.name = namespace;
      else m.name = `${m.name}-${suffix}`;
      out.namespaces.push(o);
      continue;
    }
    const original = m.name;
    if (CLUSTER_SCOPED.has(o.kind)) {
      // An APIService's name is fixed by its group and version; it is only dry-run.
      if (o.kind !== 'APIService') m.name = `${original}-${suffix}`;
      if (o.kind === 'ClusterRole') renamed.ClusterRole.add(original);
    } else if (!m.namespace || m.namespace === own) {
      m.namespace = namespace;
    } else {
      // Placed in another, shared namespace (kube-system, default): rename instead.
      m.name = `${original}-${suffix}`;
      if (o.kind === 'Role') renamed.Role.add(`${m.namespace}/${original}`);
    }
    (o.kind === 'APIService' ? out.dryRunOnly : out.objects).push(o);
  }

  // Second pass: references to renamed roles and to the corpus's own namespace.
  for (const o of [...out.objects, ...out.dryRunOnly]) {
    const roleRef = o.roleRef as { kind?: string; name?: string } | undefined;
    // A RoleBinding's Role lives in the binding's own namespace; a ClusterRole has none.
    if (roleRef?.kind === 'Role' && renamed.Role.has(`${o.metadata.namespace}/${roleRef.name}`)) {
      roleRef.name = `${roleRef.name}-${suffix}`;
    }
    if (roleRef?.kind === 'ClusterRole' && roleRef.name && renamed.ClusterRole.has(roleRef.name)) {
      roleRef.name = `${roleRef.name}-${suffix}`;
    }
    const subjects = o.subjects as { namespace?: string }[] | undefined;
    for (const s of subjects ?? []) if (own && s.namespace === own) s.namespace = namespace;
    const service = (o.spec as { service?: { namespace?: string } } | undefined)?.service;
    if (own && service?.namespace === own) service.namespace = namespace;
  }
  return out;
}

/**
 * Serialises objects for `kubectl -f -`: a stream of JSON objects one after another
 * (kubectl reads a stream that starts with `{` as consecutive JSON values, not as YAML
 * documents, so `---` separators must not be used here).
 */
export function toStream(objects: KubeObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n');
}

function yamlFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry) && entry !== 'kustomization.yaml') files.push(full);
  }
  return files;
}
