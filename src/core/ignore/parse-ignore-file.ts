/**
 * Parses and validates the ignore-rules file (`.mr-drift-ignore.yaml`). Every problem is
 * collected with its line and field, then reported at once (IgnoreFileError).
 *
 * ```yaml
 * fieldManager: argocd-controller        # optional: dry-run field manager
 * handManagers: [kubectl, kubectl-*]      # optional: replaces the default list
 * ignoreDifferences:
 *   - description: the HPA owns replicas
 *     group: apps                         # "" = core group
 *     kind: Deployment
 *     namespace: alfred-*                 # globs
 *     name: api
 *     regions: [us-east]
 *     jsonPointers: [/spec/replicas]
 *     managedFieldsManagers: [kube-controller-manager]
 *     findings: [extra]                   # hide whole findings of these types
 * ```
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { IgnoreFileError, type Problem } from '../errors';
import { unknownFieldMessage } from '../unknown-field';
import type { FindingType } from '../report/model';
import type { IgnoreFile, IgnoreRule } from './ignore-rules';

const RULE_KEYS = [
  'description',
  'group',
  'kind',
  'namespace',
  'name',
  'regions',
  'jsonPointers',
  'managedFieldsManagers',
  'findings',
] as const;
const TOP_KEYS = ['ignoreDifferences', 'handManagers', 'fieldManager'] as const;
/** The keys that say what a rule hides; a rule needs at least one. */
const HIDE_KEYS: readonly string[] = ['jsonPointers', 'managedFieldsManagers', 'findings'];
const FINDING_TYPES: readonly FindingType[] = ['missing', 'changed', 'extra'];

/** Parses the file's text; `file` is how the user named it (used in messages). */
export function parseIgnoreFile(text: string, file: string): IgnoreFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const problems: Problem[] = [];
  const at = (node: Node | null | undefined, field: string | undefined, message: string) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    const p: Problem = { file, message };
    if (pos) {
      p.line = pos.line;
      p.column = pos.col;
    }
    if (field) p.field = field;
    problems.push(p);
  };
  for (const e of doc.errors) {
    // Only the message, never the quoted text around it.
    const pos = lines.linePos(e.pos[0]);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      message: `invalid YAML: ${e.message.split('\n')[0]}`,
    });
  }
  if (problems.length > 0) throw new IgnoreFileError(problems);

  const result: IgnoreFile = { rules: [] };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return result;
  if (!isMap(root))
    throw new IgnoreFileError([
      { file, line: 1, message: 'expected a mapping with `ignoreDifferences:`' },
    ]);

  // The generator's config given by mistake: say so instead of listing every key as unknown.
  const topKeys = root.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
  if (
    topKeys.includes('app') &&
    topKeys.includes('regions') &&
    !topKeys.includes('ignoreDifferences')
  ) {
    throw new IgnoreFileError(
      [
        {
          file,
          line: 1,
          message:
            'this is a generator config (it has `app:` and `regions:`), not ignore rules (`ignoreDifferences:`)',
        },
      ],
      (say) =>
        `Give the ignore rules to ${say.option('ignore-file')} (default .mr-drift-ignore.yaml); the generator config goes to \`mr-drift generate --config\`.`,
    );
  }

  const stringList = (node: unknown, field: string): string[] | undefined => {
    if (!isSeq(node) || node.items.some((i) => !isScalar(i) || typeof i.value !== 'string')) {
      at(node as Node, field, 'expected a list of strings');
      return undefined;
    }
    return node.items.map((i) => (i as { value: string }).value);
  };
  const string = (node: unknown, field: string): string | undefined => {
    if (!isScalar(node) || typeof node.value !== 'string') {
      at(node as Node, field, 'expected a string');
      return undefined;
    }
    return node.value;
  };

  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      at(pair.key, key, unknownFieldMessage(key, TOP_KEYS));
      continue;
    }
    if (key === 'fieldManager') {
      const v = string(pair.value, key);
      if (v !== undefined) result.fieldManager = v;
    } else if (key === 'handManagers') {
      const v = stringList(pair.value, key);
      if (v) result.handManagers = v;
    } else {
      if (!isSeq(pair.value)) {
        at(pair.value, key, 'expected a list of rules');
        continue;
      }
      pair.value.items.forEach((item, i) => {
        const rule = parseRule(item, `ignoreDifferences[${i}]`, i + 1);
        if (rule) result.rules.push(rule);
      });
    }
  }
  if (problems.length > 0) throw new IgnoreFileError(byPosition(problems));
  return result;

  function parseRule(node: Node, where: string, index: number): IgnoreRule | undefined {
    if (!isMap(node)) {
      at(node, where, 'expected a mapping (group, kind, name, jsonPointers ...)');
      return undefined;
    }
    const rule: IgnoreRule = { index };
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const field = `${where}.${key}`;
      switch (key) {
        case 'description':
        case 'group':
        case 'kind':
        case 'namespace':
        case 'name': {
          const v = string(pair.value, field);
          if (v !== undefined) rule[key] = v;
          break;
        }
        case 'regions':
        case 'managedFieldsManagers': {
          const v = stringList(pair.value, field);
          if (v) rule[key] = v;
          break;
        }
        case 'jsonPointers': {
          const v = stringList(pair.value, field);
          if (!v) break;
          const bad = v.find((p) => !p.startsWith('/'));
          if (bad !== undefined)
            at(
              pair.value as Node,
              field,
              `"${bad}" is not a JSON pointer; start it with / (e.g. /spec/replicas)`,
            );
          else rule.jsonPointers = v;
          break;
        }
        case 'findings': {
          const v = stringList(pair.value, field);
          if (!v) break;
          const bad = v.find((t) => !(FINDING_TYPES as readonly string[]).includes(t));
          if (bad !== undefined)
            at(
              pair.value as Node,
              field,
              `"${bad}" is not a finding type; use missing, changed or extra`,
            );
          else rule.findings = v as FindingType[];
          break;
        }
        default:
          at(pair.key as Node, field, unknownFieldMessage(key, RULE_KEYS));
      }
    }
    // Only when no such key is written at all: an invalid value has its own problem.
    const says = node.items.some((p) => isScalar(p.key) && HIDE_KEYS.includes(String(p.key.value)));
    if (!says) {
      at(
        node,
        where,
        'a rule must say what to hide: jsonPointers, managedFieldsManagers or findings',
      );
      return undefined;
    }
    return rule;
  }
}

/** Problems in file order (line, then column), as the user reads the file. */
function byPosition(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
