/**
 * Sets `risks` on findings (see core/report/risks.ts for the catalogue). Pure: it reads
 * the finding's fields and, where the rule needs it, the live object.
 *
 * Immutable fields: in server-side mode the API server itself decides (its dry-run answers
 * 422 when the apply would change a field it refuses to update), so a finding gets
 * `immutable-field` exactly when the server refused. Read-only mode sends nothing, so it
 * uses the table below, which the integration tests check against the real API server
 * (both modes must flag the same objects).
 */
import { groupOf, isJsonObject, type KubeObject } from './kube-object';
import { parseQuantity } from '../normalize/quantity';
import { sortRisks } from '../report/risks';
import type { ComparisonMode, FieldDiff, Finding, RiskId } from '../report/model';

/** What the rules may need to know about a finding's object besides its fields. */
export interface RiskContext {
  /** The live object (changed and extra findings). */
  live?: KubeObject;
  /** Server-side mode: the dry-run apply was refused because it changes fields that cannot be updated. */
  refusedAsImmutable?: boolean;
}

/** StatefulSet spec fields the server lets an update change; every other one is fixed. */
const STATEFULSET_MUTABLE = new Set([
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
]);

/** Kinds whose `spec.selector` picks the pods they own (and cannot change in apps/v1). */
const WORKLOADS = new Set([
  'apps|Deployment',
  'apps|ReplicaSet',
  'apps|DaemonSet',
  'apps|StatefulSet',
]);

/** Tokens of a report path (`/spec/selector/matchLabels/a` -> spec, selector, matchLabels, a). */
function tokens(path: string): string[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function startsWith(t: readonly string[], ...prefix: string[]): boolean {
  return prefix.every((p, i) => t[i] === p);
}

/** The sync would write this field: Git sets it, or the applier's own earlier value goes. */
function syncWrites(d: FieldDiff): boolean {
  return d.desired !== undefined || d.operation === 'Apply';
}

/** `a < b` for two resource quantities; false when either is not a quantity. */
function quantityLess(a: unknown, b: unknown): boolean {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa !== undefined && qb !== undefined && qa.num * qb.den < qb.num * qa.den;
}

/**
 * True when the API server refuses an update that changes this field (kube-apiserver 1.36;
 * each entry is exercised by test/integration/drift-risks.test.ts).
 */
export function isImmutableField(
  kindKey: string,
  d: FieldDiff,
  live: KubeObject | undefined,
): boolean {
  if (!syncWrites(d)) return false;
  const t = tokens(d.path);
  switch (kindKey) {
    case 'apps|Deployment':
    case 'apps|ReplicaSet':
    case 'apps|DaemonSet':
      return startsWith(t, 'spec', 'selector');
    case 'apps|StatefulSet':
      return t[0] === 'spec' && t.length > 1 && !STATEFULSET_MUTABLE.has(t[1]);
    case 'batch|Job': {
      if (startsWith(t, 'spec', 'selector') || startsWith(t, 'spec', 'template')) return true;
      if (startsWith(t, 'spec', 'completionMode')) return true;
      // Indexed Jobs may change completions together with parallelism (elastic Jobs).
      const spec = live?.spec;
      const indexed = isJsonObject(spec) && spec.completionMode === 'Indexed';
      return startsWith(t, 'spec', 'completions') && !indexed;
    }
    case '|Service':
      // Only an address Git sets; the one the server allocated is not Git's to change.
      return (
        (startsWith(t, 'spec', 'clusterIP') || startsWith(t, 'spec', 'clusterIPs')) &&
        d.desired !== undefined &&
        d.live !== undefined
      );
    case '|PersistentVolumeClaim': {
      if (t[0] !== 'spec' || t.length < 2) return false;
      if (t[1] === 'volumeAttributesClassName') return false;
      // A claim may grow (when bound and its class allows it) but never shrink.
      if (startsWith(t, 'spec', 'resources', 'requests'))
        return t[3] === 'storage' && quantityLess(d.desired, d.live);
      // Binding fills in volumeName once; changing it afterwards is refused.
      if (t[1] === 'volumeName') return d.live !== undefined && d.live !== '';
      return true;
    }
    case '|ConfigMap':
    case '|Secret':
      if (kindKey === '|Secret' && t[0] === 'type' && d.live !== undefined) return true;
      return (
        live?.immutable === true &&
        (t[0] === 'data' || t[0] === 'binaryData' || t[0] === 'immutable')
      );
    case 'rbac.authorization.k8s.io|RoleBinding':
    case 'rbac.authorization.k8s.io|ClusterRoleBinding':
      return t[0] === 'roleRef';
    default:
      return false;
  }
}

/**
 * How kube-apiserver words a refused update of a fixed field (apps, batch, core and RBAC
 * validation, 1.36): "field is immutable", "may not change once set", "spec is immutable
 * after creation", "updates to statefulset spec for fields other than ... are forbidden",
 * "cannot change roleRef", "can not be less than previous value".
 */
const IMMUTABLE_WORDING =
  /\bimmutable\b|may not change once set|cannot change|updates to \S+ spec for fields other than|can not be less than previous value/i;

/**
 * True when a 422 answer to a dry-run apply says Git changes fields the server will not
 * update in place, and nothing else: every cause (or, without causes, the message) must
 * say so. Any other invalid field is a broken manifest, which stays an error.
 */
export function refusalIsImmutable(
  causes: ReadonlyArray<{ reason?: string; message?: string; field?: string }>,
  message: string,
): boolean {
  if (causes.length === 0) return IMMUTABLE_WORDING.test(message);
  return causes.every((c) => IMMUTABLE_WORDING.test(c.message ?? ''));
}

/** Extra objects whose deletion (a prune) takes data or many other objects with it. */
function prunesData(kindKey: string, live: KubeObject | undefined): boolean {
  switch (kindKey) {
    case '|PersistentVolumeClaim':
    case '|Namespace':
    case 'apiextensions.k8s.io|CustomResourceDefinition':
      return true;
    case 'apps|StatefulSet': {
      const spec = live?.spec;
      return (
        isJsonObject(spec) &&
        Array.isArray(spec.volumeClaimTemplates) &&
        spec.volumeClaimTemplates.length > 0
      );
    }
    default:
      return false;
  }
}

/** The risk flags of one finding, in catalogue order; empty when none applies. */
export function findingRisks(f: Finding, mode: ComparisonMode, ctx: RiskContext = {}): RiskId[] {
  const kindKey = `${groupOf(f.apiVersion)}|${f.kind}`;
  const risks: RiskId[] = [];
  if (f.type === 'extra') {
    // A sync that does not prune it (Argo CD Prune=false) deletes no data.
    if (f.notPrunedBy === undefined && prunesData(kindKey, ctx.live)) risks.push('prune-data');
    return sortRisks(risks);
  }
  if (f.type !== 'changed') return risks;

  const immutable =
    mode === 'server-side'
      ? ctx.refusedAsImmutable === true
      : f.fields.some((d) => isImmutableField(kindKey, d, ctx.live));
  if (immutable) {
    risks.push('immutable-field');
    // Recreating a claim is deleting it: its volume goes too unless the PV is retained.
    if (kindKey === '|PersistentVolumeClaim') risks.push('prune-data');
  }
  const selector =
    kindKey === '|Service' || WORKLOADS.has(kindKey)
      ? f.fields.some((d) => startsWith(tokens(d.path), 'spec', 'selector'))
      : false;
  if (selector) risks.push('selector-change');
  const toZero = f.fields.some(
    (d) => d.path === '/spec/replicas' && d.desired === 0 && d.live !== 0,
  );
  if (toZero) risks.push('replicas-to-zero');
  return sortRisks(risks);
}

/**
 * Returns the findings with `risks` set where a rule applies (other findings unchanged).
 * `context` gives each finding's live object and whether the server refused its dry-run.
 */
export function assessRisks(
  findings: readonly Finding[],
  mode: ComparisonMode,
  context: (f: Finding) => RiskContext,
): Finding[] {
  return findings.map((f) => {
    const risks = findingRisks(f, mode, context(f));
    if (risks.length === 0) {
      if (f.risks === undefined) return f;
      const copy = { ...f };
      delete copy.risks;
      return copy;
    }
    return { ...f, risks };
  });
}
