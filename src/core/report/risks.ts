/**
 * The catalogue of risk flags a finding can carry: a closed list, each with a one-line
 * reason that every output (text, Markdown, annotations, JSON Schema) shows next to the id.
 * Which findings get which flag is decided in core/compare/assess-risks.ts.
 *
 * The list is kept short on purpose: a flag must mean "syncing this could hurt", not
 * "this changed". A changed Secret, an image bump or a label edit is ordinary drift.
 */
import type { RiskId } from './model';

/** Every risk id, most serious first (the order outputs list them in). */
export const RISK_IDS: readonly RiskId[] = [
  'prune-data',
  'immutable-field',
  'selector-change',
  'replicas-to-zero',
];

/** One line per risk: what a sync would do and why it matters. */
export const RISK_REASONS: Readonly<Record<RiskId, string>> = {
  'prune-data':
    'a sync would delete this object and what it holds: a claim and its volume, every custom resource of a CRD, everything in a Namespace, the pods of a StatefulSet with volume claims',
  'immutable-field':
    'the API server refuses to update this field in place: a sync fails until the object is deleted and recreated (Argo CD Force=true,Replace=true; Flux force: true)',
  'selector-change':
    'the selector decides which pods a Service sends traffic to or a workload owns: a sync changes it',
  'replicas-to-zero': 'Git sets replicas to 0: a sync stops every pod of this workload',
};

/** Sorts and de-duplicates risk ids into catalogue order. */
export function sortRisks(risks: Iterable<RiskId>): RiskId[] {
  const set = new Set(risks);
  return RISK_IDS.filter((r) => set.has(r));
}
