/**
 * Which object a HorizontalPodAutoscaler scales. Shared by the generator (which must never
 * set `replicas` on such an object) and the drift check (which leaves those replicas to
 * the autoscaler when Git does not set them).
 */

/** The object an autoscaler's `spec.scaleTargetRef` names, in the autoscaler's namespace. */
export interface ScaleTarget {
  /** API group of `scaleTargetRef.apiVersion`; undefined when the reference leaves it out. */
  group?: string;
  kind: string;
  name: string;
}

/** True for a HorizontalPodAutoscaler of any `autoscaling/*` version. */
export function isAutoscaler(doc: unknown): boolean {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.kind === 'HorizontalPodAutoscaler' &&
    typeof d.apiVersion === 'string' &&
    d.apiVersion.startsWith('autoscaling/')
  );
}

/** The target of an autoscaler, or undefined when `doc` is not one or names no target. */
export function scaleTargetOf(doc: unknown): ScaleTarget | undefined {
  if (!isAutoscaler(doc)) return undefined;
  const ref = (doc as { spec?: { scaleTargetRef?: Record<string, unknown> } }).spec?.scaleTargetRef;
  if (typeof ref !== 'object' || ref === null) return undefined;
  const { kind, name, apiVersion } = ref;
  if (typeof kind !== 'string' || typeof name !== 'string') return undefined;
  const target: ScaleTarget = { kind, name };
  if (typeof apiVersion === 'string') target.group = groupOfApiVersion(apiVersion);
  return target;
}

/** True when `target` names an object of this apiVersion, kind and name. */
export function targets(
  target: ScaleTarget,
  obj: { apiVersion?: string; kind: string; name: string },
): boolean {
  if (target.kind !== obj.kind || target.name !== obj.name) return false;
  return (
    target.group === undefined ||
    obj.apiVersion === undefined ||
    target.group === groupOfApiVersion(obj.apiVersion)
  );
}

function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
