/**
 * Checks a list of Argo CD `ignoreDifferences` rules, wherever it is written (the
 * generator's config, an Application or ApplicationSet in the tree, the annotation on a
 * Flux Kustomization), so that a rule mr-drift cannot apply as Argo CD does is an error
 * naming its field, never a rule that silently hides nothing.
 */
import { JqSyntaxError, parseJq } from '../jq/jq-parse';
import { unknownFieldMessage } from '../unknown-field';
import type { IgnoreDifferencesRule } from './ignore-differences';

/** A problem at a path below the list (`[0].jsonPointers[1]` is `[0, 'jsonPointers', 1]`). */
export interface RuleProblem {
  path: ReadonlyArray<string | number>;
  /** True when the key itself is wrong (unknown field), not its value. */
  atKey?: boolean;
  message: string;
}

export const RULE_FIELDS = [
  'group',
  'kind',
  'name',
  'namespace',
  'jsonPointers',
  'jqPathExpressions',
  'managedFieldsManagers',
] as const;
const LISTS = ['jsonPointers', 'jqPathExpressions', 'managedFieldsManagers'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Problems in `value` as a list of rules. `extraFields` are accepted besides Argo CD's
 * own (the config's `description`). With `shape: false` only what a JSON Schema cannot
 * say is checked (pointers, jq, a rule that hides nothing), for input a schema checked.
 */
export function validateIgnoreDifferences(
  value: unknown,
  options: { shape: boolean; extraFields?: readonly string[] } = { shape: true },
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (!Array.isArray(value)) {
    if (options.shape)
      problems.push({
        path: [],
        message: 'expected a list of rules (group, kind, jsonPointers ...)',
      });
    return problems;
  }
  const allowed: readonly string[] = [...RULE_FIELDS, ...(options.extraFields ?? [])];
  value.forEach((rule, i) => {
    if (!isObject(rule)) {
      if (options.shape)
        problems.push({ path: [i], message: 'expected a mapping (group, kind, jsonPointers ...)' });
      return;
    }
    if (options.shape) {
      for (const key of Object.keys(rule)) {
        if (!allowed.includes(key))
          problems.push({
            path: [i, key],
            atKey: true,
            message: unknownFieldMessage(key, allowed),
          });
      }
      for (const key of ['group', 'kind', 'name', 'namespace', ...(options.extraFields ?? [])]) {
        if (rule[key] !== undefined && typeof rule[key] !== 'string')
          problems.push({ path: [i, key], message: 'expected a string' });
      }
      if (typeof rule.kind !== 'string' || rule.kind === '')
        problems.push({
          path: [i],
          message: 'a rule needs `kind` (Argo CD requires it; `*` matches every kind)',
        });
    }
    for (const key of LISTS) {
      const list = rule[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        if (options.shape) problems.push({ path: [i, key], message: 'expected a list of strings' });
        continue;
      }
      list.forEach((item, j) => {
        if (typeof item !== 'string') {
          if (options.shape) problems.push({ path: [i, key, j], message: 'expected a string' });
          return;
        }
        // A schema checks the pointer's first character itself.
        if (key === 'jsonPointers' && !options.shape) return;
        const problem = itemProblem(key, item);
        if (problem) problems.push({ path: [i, key, j], message: problem });
      });
    }
    if (!LISTS.some((k) => Array.isArray(rule[k]) && rule[k].length > 0))
      problems.push({
        path: [i],
        message:
          'the rule hides nothing: give jsonPointers, jqPathExpressions or managedFieldsManagers',
      });
  });
  return problems;
}

function itemProblem(key: (typeof LISTS)[number], item: string): string | undefined {
  if (key === 'jsonPointers') {
    if (!item.startsWith('/'))
      return `${JSON.stringify(item)} is not a JSON pointer: start it with / (e.g. /spec/replicas; list items by position, /spec/template/spec/containers/0/image)`;
    return undefined;
  }
  if (key === 'jqPathExpressions') {
    try {
      parseJq(item);
    } catch (e) {
      if (!(e instanceof JqSyntaxError)) throw e;
      return `${JSON.stringify(item)}: ${e.message} (at character ${e.offset + 1})`;
    }
    return undefined;
  }
  if (item === '') return 'expected a field manager name';
  return undefined;
}

/** The rules of a list that passed validation, as typed rules. */
export function toRules(value: readonly unknown[]): IgnoreDifferencesRule[] {
  return value.filter(isObject).map((r) => {
    const rule: IgnoreDifferencesRule = {};
    for (const k of ['group', 'kind', 'name', 'namespace'] as const)
      if (typeof r[k] === 'string') rule[k] = r[k];
    for (const k of LISTS) if (Array.isArray(r[k])) rule[k] = r[k] as string[];
    return rule;
  });
}
