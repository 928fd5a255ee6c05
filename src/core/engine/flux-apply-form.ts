/**
 * The shape in which Flux applies a built-in object, which decides what its managedFields
 * entry owns.
 *
 * kustomize-controller (v1.9.6, fluxcd/pkg/ssa v0.76.2 `normalize.UnstructuredList`) turns
 * every object of a kind client-go knows into its Go type and back before the apply. The
 * way back writes each struct-typed field that is not a pointer even when the manifest left
 * it out, as an empty map: a Deployment without `strategy` is applied with `strategy: {}`,
 * a Namespace with `spec: {}`. Its Apply entry then owns those fields, and read-only mode,
 * which reports what the applier owns and Git no longer sets (the next apply would prune
 * it), took them for removals. They are not: Flux sends the same `{}` at every reconcile.
 *
 * So, for objects Flux deploys, Git's side gets the same empty maps before read-only mode
 * compares it, where the live object holds a map there (an empty map is a subset of any
 * map, so values are still compared against live as before; only the ownership walk
 * changes). Read from k8s.io/api v0.36.4 (the version the Flux build pins): the struct
 * fields a GitOps tree meets, per kind. Roles and ClusterRoles are skipped by Flux itself.
 */
import {
  cloneJson,
  isJsonObject,
  objectKey,
  refOf,
  type Json,
  type KubeObject,
} from '../compare/kube-object';
import type { ResolvedObject } from '../compare/resolve-desired';
import type { Engine } from './engine-annotations';

/** A path in which `*` stands for every item of a list. */
type Pattern = readonly string[];

function podSpec(...at: string[]): Pattern[] {
  return [
    [...at, 'containers', '*', 'resources'],
    [...at, 'initContainers', '*', 'resources'],
  ];
}

const CLAIM_TEMPLATES: Pattern[] = [
  ['spec', 'volumeClaimTemplates', '*', 'spec'],
  ['spec', 'volumeClaimTemplates', '*', 'spec', 'resources'],
  ['spec', 'volumeClaimTemplates', '*', 'status'],
];

/** Empty struct fields Flux's round trip writes, by `apiVersion/kind`. */
const EMPTY_STRUCTS: Readonly<Record<string, readonly Pattern[]>> = {
  'v1/Namespace': [['spec']],
  'v1/Service': [['spec']],
  'v1/PersistentVolumeClaim': [['spec'], ['spec', 'resources']],
  'v1/Pod': [['spec'], ...podSpec('spec')],
  'apps/v1/Deployment': [['spec'], ['spec', 'strategy'], ...podSpec('spec', 'template', 'spec')],
  'apps/v1/StatefulSet': [
    ['spec'],
    ['spec', 'updateStrategy'],
    ...podSpec('spec', 'template', 'spec'),
    ...CLAIM_TEMPLATES,
  ],
  'apps/v1/DaemonSet': [
    ['spec'],
    ['spec', 'updateStrategy'],
    ...podSpec('spec', 'template', 'spec'),
  ],
  'apps/v1/ReplicaSet': [['spec'], ...podSpec('spec', 'template', 'spec')],
  'batch/v1/Job': [['spec'], ...podSpec('spec', 'template', 'spec')],
  'batch/v1/CronJob': [
    ['spec'],
    ['spec', 'jobTemplate', 'spec'],
    ...podSpec('spec', 'jobTemplate', 'spec', 'template', 'spec'),
  ],
  'networking.k8s.io/v1/NetworkPolicy': [['spec'], ['spec', 'podSelector']],
  'networking.k8s.io/v1/Ingress': [['spec']],
  'policy/v1/PodDisruptionBudget': [['spec']],
};

/**
 * Git's side of an object as Flux applies it: the empty maps of EMPTY_STRUCTS added where
 * the manifest has nothing and the live object has a map. Returns the input when nothing
 * is added.
 */
export function fluxApplyForm(desired: KubeObject, live: KubeObject): KubeObject {
  const patterns = EMPTY_STRUCTS[`${desired.apiVersion}/${desired.kind}`];
  if (!patterns) return desired;
  const copy = cloneJson(desired);
  for (const pattern of patterns) addEmpty(copy, live, pattern);
  return JSON.stringify(copy) === JSON.stringify(desired) ? desired : copy;
}

/** Adds `{}` at the end of `pattern` in `desired` where the parent exists and live has a map. */
function addEmpty(desired: Json, live: Json | undefined, pattern: Pattern): void {
  const [head, ...rest] = pattern;
  if (head === undefined) return;
  if (head === '*') {
    if (!Array.isArray(desired)) return;
    const liveItems = Array.isArray(live) ? live : [];
    desired.forEach((item, i) => addEmpty(item, matchingItem(item, liveItems, i), rest));
    return;
  }
  if (!isJsonObject(desired)) return;
  const liveChild = isJsonObject(live) ? live[head] : undefined;
  if (rest.length === 0) {
    if (desired[head] === undefined && isJsonObject(liveChild)) desired[head] = {};
    return;
  }
  const child = desired[head];
  if (child !== undefined) addEmpty(child, liveChild, rest);
}

/** The live list item for a desired one: same `name` (containers), else same position. */
function matchingItem(item: Json, liveItems: readonly Json[], index: number): Json | undefined {
  const name = isJsonObject(item) ? item.name : undefined;
  if (typeof name === 'string') return liveItems.find((l) => isJsonObject(l) && l.name === name);
  return liveItems[index];
}

/**
 * Gives Git's side of each live object that Flux (and only Flux) deploys its apply form
 * (see fluxApplyForm), for read-only mode's comparison.
 */
export function addFluxApplyForm(
  objects: readonly ResolvedObject[],
  live: ReadonlyMap<string, KubeObject>,
  enginesOf: (live: KubeObject) => readonly Engine[],
): void {
  for (const o of objects) {
    const liveObject = live.get(objectKey(refOf(o.entry.manifest)));
    if (!liveObject) continue;
    const engines = enginesOf(liveObject);
    if (engines.length !== 1 || engines[0] !== 'flux') continue;
    o.entry.comparable = fluxApplyForm(o.entry.comparable, liveObject);
  }
}
