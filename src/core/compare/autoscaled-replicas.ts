/**
 * Replicas that Git leaves to an autoscaler.
 *
 * When a HorizontalPodAutoscaler in Git scales a workload and the workload's manifest sets
 * no `spec.replicas` (what Argo CD and Flux recommend, and what the generator writes),
 * the number of replicas is the autoscaler's to choose: Git says nothing about it and no
 * sync would change it. So the live value is never drift, whoever wrote it: the HPA, a
 * person's `kubectl scale` or `kubectl patch` (the HPA moves it back into its
 * minReplicas..maxReplicas range at its next evaluation; those bounds are in Git and
 * their changes are reported on the HPA).
 *
 * This is a rule about Git, not about managedFields. Whether the API server records an
 * owner for a scale depends on history: a scale of a field nobody owned is recorded under
 * no manager at all (kube-apiserver 1.36), but after a client-side apply (which owns the
 * defaulted replicas) or an earlier `kubectl patch`, the same `kubectl scale` is recorded
 * as `kubectl`. Both cases must give the same verdict.
 *
 * One exception stays visible: when the GitOps applier itself still owns `spec.replicas`
 * (it applied them before Git stopped setting them), the next sync removes its value and
 * the API server resets replicas to the default of 1 until the HPA scales back up. That
 * is a change Git makes, and it is reported.
 */
import { isAutoscaler, scaleTargetOf, targets } from '../autoscaling/scale-target';
import { isJsonObject, objectKey, refOf, type KubeObject } from './kube-object';
import type { FieldPath } from './field-path';

/** `/spec/replicas` as a path. */
export const REPLICAS_PATH: FieldPath = [{ field: 'spec' }, { field: 'replicas' }];

/**
 * Keys (`objectKey`) of the desired objects whose replicas Git leaves to an autoscaler:
 * targeted by a HorizontalPodAutoscaler in the same desired set and namespace, and not
 * setting `spec.replicas` themselves.
 */
export function replicasLeftToAutoscaler(desired: readonly KubeObject[]): Set<string> {
  const out = new Set<string>();
  const hpas = desired.filter(isAutoscaler);
  if (hpas.length === 0) return out;
  for (const hpa of hpas) {
    const target = scaleTargetOf(hpa);
    if (!target) continue;
    const namespace = hpa.metadata.namespace;
    for (const obj of desired) {
      if (obj.metadata.namespace !== namespace) continue;
      if (!targets(target, { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name }))
        continue;
      const spec = obj.spec;
      if (isJsonObject(spec) && spec.replicas !== undefined) continue;
      out.add(objectKey(refOf(obj)));
    }
  }
  return out;
}
