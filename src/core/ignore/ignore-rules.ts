/**
 * Ignore rules, in the spirit of Argo CD's `ignoreDifferences`: select objects by group,
 * kind, namespace and name (and region), then hide fields by JSON pointer or by the field
 * manager that owns them, or hide whole findings of a type. Nothing disappears silently:
 * every hidden field or finding is listed in the region's `ignored` with the rule's name.
 */
import { groupOf, jsonEqual } from '../compare/kube-object';
import { parsePath, type PathSegment } from '../compare/field-path';
import type { Finding, FindingType, IgnoredField } from '../report/model';
import { globMatcher } from '../compare/managers';

/** One rule from the ignore file. Omitted selectors match anything. */
export interface IgnoreRule {
  /** 1-based position in the file, for the report. */
  index: number;
  description?: string;
  /** API group; `""` is the core group. */
  group?: string;
  /** Kind, namespace, name: `*` globs allowed. */
  kind?: string;
  namespace?: string;
  name?: string;
  regions?: string[];
  /** Paths as in reports (`/spec/replicas`, `/spec/.../containers/name=api/image`); `*` matches one segment. */
  jsonPointers?: string[];
  /** Hide fields whose live value is owned by one of these managers. */
  managedFieldsManagers?: string[];
  /** Hide whole findings of these types (e.g. `extra` objects another tool manages). */
  findings?: FindingType[];
}

/** The whole ignore file. */
export interface IgnoreFile {
  rules: IgnoreRule[];
  /** Replaces the default list of managers treated as a person's tool. */
  handManagers?: string[];
  /** Default field manager for the server-side apply dry-run. */
  fieldManager?: string;
}

/** How a rule is named in reports: `#2 (HPA owns replicas)`. */
export function ruleLabel(rule: IgnoreRule): string {
  return rule.description ? `#${rule.index} (${rule.description})` : `#${rule.index}`;
}

function matchesObject(rule: IgnoreRule, f: Finding, region: string): boolean {
  const glob = (pattern: string | undefined, value: string) =>
    pattern === undefined || globMatcher([pattern])(value);
  return (
    (rule.group === undefined || rule.group === groupOf(f.apiVersion)) &&
    glob(rule.kind, f.kind) &&
    glob(rule.namespace, f.namespace ?? '') &&
    glob(rule.name, f.name) &&
    (rule.regions === undefined || rule.regions.includes(region))
  );
}

function segmentMatches(pattern: PathSegment, seg: PathSegment): boolean {
  if ('field' in pattern && pattern.field === '*') return true;
  if ('field' in pattern) return 'field' in seg && seg.field === pattern.field;
  if ('index' in pattern) return 'index' in seg && seg.index === pattern.index;
  return 'key' in seg && jsonEqual(pattern.key, seg.key);
}

/** True when `path` is the pointer or lies below it. */
export function pointerCovers(pointer: string, path: string): boolean {
  const pat = parsePath(pointer);
  const segs = parsePath(path);
  return pat.length <= segs.length && pat.every((p, i) => segmentMatches(p, segs[i]));
}

/** Applies the rules to one region's findings; returns what is left and what was hidden. */
export function applyIgnoreRules(
  findings: readonly Finding[],
  rules: readonly IgnoreRule[],
  region: string,
): { findings: Finding[]; ignored: IgnoredField[] } {
  const kept: Finding[] = [];
  const ignored: IgnoredField[] = [];
  for (const f of findings) {
    const rulesHere = rules.filter((r) => matchesObject(r, f, region));
    const whole = rulesHere.find((r) => r.findings?.includes(f.type));
    const ref = {
      apiVersion: f.apiVersion,
      kind: f.kind,
      ...(f.namespace ? { namespace: f.namespace } : {}),
      name: f.name,
    };
    if (whole) {
      ignored.push({ ...ref, path: '', type: f.type, rule: ruleLabel(whole) });
      continue;
    }
    if (f.type !== 'changed') {
      kept.push(f);
      continue;
    }
    const fields = f.fields.filter((field) => {
      const rule = rulesHere.find(
        (r) =>
          r.jsonPointers?.some((p) => pointerCovers(p, field.path)) ||
          (field.manager !== undefined && r.managedFieldsManagers?.includes(field.manager)),
      );
      if (rule) ignored.push({ ...ref, path: field.path, type: f.type, rule: ruleLabel(rule) });
      return !rule;
    });
    if (fields.length > 0) kept.push({ ...f, fields });
  }
  return { findings: kept, ignored };
}
