/**
 * Argo CD's `ignoreDifferences` (an Application's `spec.ignoreDifferences`, or the
 * generator's rules the check reads back from the tree), applied the way Argo CD v3.2.11
 * applies them (util/argo/diff, util/argo/normalizers):
 *
 * - a rule selects objects by `group` and `kind` (globs; an omitted group is the core
 *   group) and by `name` and `namespace` (exact; omitted matches any);
 * - `jsonPointers` (RFC 6902 remove) and `jqPathExpressions` (`del(...)`) remove fields
 *   from both sides of the comparison before it is made: Git's (or the server's prediction
 *   of the sync) and the live object. A pointer or expression that fails on an object
 *   removes nothing there, as in Argo CD;
 * - `managedFieldsManagers`: a field whose live value differs from Git's and that one of
 *   these managers owns is left to it.
 *
 * mr-drift compares the object twice, as it is and with the fields removed; a difference
 * that only the first comparison has is hidden, and listed under `ignored` with the rule.
 * Missing and extra objects are not touched (Argo CD's rules only remove fields).
 */
import { refOf, type Json, type KubeObject } from '../compare/kube-object';
import { entryOwns, managedFieldsOf } from '../compare/managed-fields';
import { parsePath } from '../compare/field-path';
import { stripServerFields } from '../normalize/server-fields';
import type { FieldDiff } from '../report/model';
import { compileDeletion, type JqDeletion } from '../jq/jq-eval';
import { argoGlobMatch } from './argo-glob';
import type { Engine } from './engine-annotations';
import { removePointer } from './json-pointer-remove';

/** One rule, as Argo CD's ResourceIgnoreDifferences. */
export interface IgnoreDifferencesRule {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  jsonPointers?: readonly string[];
  jqPathExpressions?: readonly string[];
  managedFieldsManagers?: readonly string[];
}

/** A rule ready to apply: where it came from, with its jq expressions compiled. */
export interface CompiledIgnoreRule {
  rule: IgnoreDifferencesRule;
  /** How the report names it, e.g. `Argo CD Application alfred-us-east ignoreDifferences[0] (...)`. */
  label: string;
  /** The engine whose setting it is (absent for rules only mr-drift reads). */
  engine?: Engine;
  jq: readonly JqDeletion[];
}

/** Compiles a rule's jq expressions; throws JqSyntaxError (validate first to get positions). */
export function compileIgnoreRule(
  rule: IgnoreDifferencesRule,
  label: string,
  engine?: Engine,
): CompiledIgnoreRule {
  return {
    rule,
    label,
    ...(engine ? { engine } : {}),
    jq: (rule.jqPathExpressions ?? []).map(compileDeletion),
  };
}

function groupOfApiVersion(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The rules that select an object, in their order (Argo CD's HasIgnoreDifference). */
export function rulesFor(
  rules: readonly CompiledIgnoreRule[],
  obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
): CompiledIgnoreRule[] {
  const group = groupOfApiVersion(obj.apiVersion);
  const ref = refOf(obj);
  return rules.filter(({ rule }) => {
    return (
      argoGlobMatch(rule.group ?? '', group) &&
      argoGlobMatch(rule.kind ?? '', ref.kind) &&
      (!rule.name || rule.name === ref.name) &&
      (!rule.namespace || rule.namespace === (ref.namespace ?? ''))
    );
  });
}

/**
 * The object with every field the rules' pointers and expressions select removed, in
 * Argo CD's order (per rule: its pointers, then its expressions). What fails is skipped.
 */
export function removeIgnoredFields(
  obj: KubeObject,
  rules: readonly CompiledIgnoreRule[],
): KubeObject {
  let doc: Json = obj;
  for (const r of rules) {
    for (const pointer of r.rule.jsonPointers ?? []) {
      try {
        doc = removePointer(doc, pointer);
      } catch {
        // Argo CD: "Unable to remove nonexistent key" and the like are not errors.
      }
    }
    for (const jq of r.jq) {
      try {
        doc = jq.apply(doc);
      } catch {
        // Argo CD logs a failing expression and leaves the object as it is.
      }
    }
  }
  return isKubeObject(doc) ? doc : obj;
}

function isKubeObject(v: Json): v is KubeObject {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    v.metadata !== null &&
    typeof v.metadata === 'object'
  );
}

/** The sides of one comparison. */
export interface ComparedSides {
  desired: KubeObject;
  live: KubeObject;
  predicted?: KubeObject;
}

/** A field the rules hid, with the rule that hid it. */
export interface HiddenField {
  field: FieldDiff;
  rule: CompiledIgnoreRule;
}

/**
 * Splits an object's differences into those the rules leave and those they hide.
 * `compare` runs mr-drift's comparison on the given sides (the same as for `found`).
 */
export function applyIgnoreDifferences(
  found: readonly FieldDiff[],
  sides: ComparedSides,
  rules: readonly CompiledIgnoreRule[],
  compare: (sides: ComparedSides) => FieldDiff[],
): { kept: FieldDiff[]; hidden: HiddenField[] } {
  // Nothing differs: removing fields from both sides cannot hide anything.
  if (found.length === 0 || rules.length === 0) return { kept: [...found], hidden: [] };
  const remaining = (subset: readonly CompiledIgnoreRule[]): Set<string> => {
    const removing = subset.filter(
      (r) => (r.rule.jsonPointers?.length ?? 0) > 0 || r.jq.length > 0,
    );
    const fields =
      removing.length === 0
        ? found
        : compare(normalizeSides(sides, (o) => removeIgnoredFields(o, removing)));
    const trusted = subset.flatMap((r) => r.rule.managedFieldsManagers ?? []);
    return new Set(
      fields.filter((f) => !leftToManagers(f, sides.live, trusted)).map((f) => f.path),
    );
  };
  const left = remaining(rules);
  const kept = found.filter((f) => left.has(f.path));
  if (kept.length === found.length) return { kept, hidden: [] };
  // Name the first rule that hides each field on its own (rules may also act together).
  const alone = rules.map((r) => remaining([r]));
  const hidden = found
    .filter((f) => !left.has(f.path))
    .map((field) => {
      const i = alone.findIndex((set) => !set.has(field.path));
      return { field, rule: rules[i < 0 ? 0 : i] };
    });
  return { kept, hidden };
}

function normalizeSides(sides: ComparedSides, fn: (o: KubeObject) => KubeObject): ComparedSides {
  const live = fn(sides.live);
  const out: ComparedSides = { desired: fn(sides.desired), live };
  // The live object standing for the prediction (a proven no-op) stays the same object.
  if (sides.predicted) out.predicted = sides.predicted === sides.live ? live : fn(sides.predicted);
  return out;
}

/**
 * Argo CD's managedFieldsManagers: a field set on both sides with other values, whose
 * live value one of the trusted managers owns (in the live object's managedFields).
 */
function leftToManagers(field: FieldDiff, live: KubeObject, trusted: readonly string[]): boolean {
  if (trusted.length === 0 || field.desired === undefined || field.live === undefined) return false;
  const path = parsePath(field.path);
  const liveS = stripServerFields(live);
  return managedFieldsOf(live).some(
    (e) => trusted.includes(e.manager) && entryOwns(e, path, liveS),
  );
}
