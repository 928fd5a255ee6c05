import { describe, expect, it } from 'vitest';
import { compareRegionDetailed } from '../../src/core/compare/compare-region';
import type { ComparisonMode } from '../../src/core/report/model';
import { argoGlobMatch } from '../../src/core/engine/argo-glob';
import {
  compileIgnoreRule,
  removeIgnoredFields,
  rulesFor,
  type IgnoreDifferencesRule,
} from '../../src/core/engine/ignore-differences';
import { PointerMissError, removePointer } from '../../src/core/engine/json-pointer-remove';
import { validateIgnoreDifferences } from '../../src/core/engine/validate-ignore-differences';
import { loadRecording, regionInput } from './fixtures/load-recording';

/**
 * Argo CD's ignoreDifferences on recorded real-server data: a Deployment `api` changed by
 * hand (kubectl set image/env/resources, a sidecar patched in, a label) and a ConfigMap
 * key added (see fixtures/record-fixtures.ts).
 */
const rec = loadRecording('recorded-hand-changes.json');
const MODES: ComparisonMode[] = ['server-side', 'read-only'];

function run(mode: ComparisonMode, rules: IgnoreDifferencesRule[]) {
  const compiled = rules.map((r, i) => compileIgnoreRule(r, `rule ${i}`, 'argocd'));
  return compareRegionDetailed({ ...regionInput(rec, mode), ignoreDifferences: compiled });
}

const apiFields = (r: ReturnType<typeof run>) =>
  r.findings
    .filter((f) => f.kind === 'Deployment' && f.name === 'api')
    .flatMap((f) => f.fields.map((x) => x.path));
const hidden = (r: ReturnType<typeof run>) =>
  r.ignored.map((i) => `${i.kind}/${i.name} ${i.path} <- ${i.rule}`).sort();

describe.each(MODES)('ignoreDifferences, %s mode', (mode) => {
  const before = run(mode, []);

  it('starts from the recorded hand changes', () => {
    expect(apiFields(before)).toEqual(
      expect.arrayContaining([
        '/spec/template/spec/containers/name=app/image',
        '/spec/template/spec/containers/name=sidecar',
        '/metadata/labels/owner',
      ]),
    );
    expect(before.ignored).toEqual([]);
  });

  it('jsonPointers and jqPathExpressions hide exactly the fields they select', () => {
    const r = run(mode, [
      {
        group: 'apps',
        kind: 'Deployment',
        name: 'api',
        jsonPointers: ['/metadata/labels/owner'],
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .image'],
      },
    ]);
    expect(hidden(r)).toEqual([
      'Deployment/api /metadata/labels/owner <- rule 0',
      'Deployment/api /spec/template/spec/containers/name=app/image <- rule 0',
    ]);
    expect(apiFields(r)).toEqual(
      apiFields(before).filter(
        (p) => p !== '/metadata/labels/owner' && !p.endsWith('/name=app/image'),
      ),
    );
    expect(r.ignored.every((i) => i.engine === 'argocd' && i.type === 'changed')).toBe(true);
  });

  it('jqPathExpressions hide a container added by hand', () => {
    const r = run(mode, [
      {
        group: 'apps',
        kind: 'Deployment',
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "sidecar")'],
      },
    ]);
    expect(hidden(r)).toEqual([
      'Deployment/api /spec/template/spec/containers/name=sidecar <- rule 0',
    ]);
  });

  it('managedFieldsManagers leave changed values to the manager, not fields it added', () => {
    const r = run(mode, [
      { group: 'apps', kind: 'Deployment', name: 'api', managedFieldsManagers: ['kubectl-set'] },
    ]);
    const shown = apiFields(r);
    // Changed from Git's value by kubectl-set: left to it.
    expect(shown).not.toContain('/spec/template/spec/containers/name=app/image');
    expect(shown).not.toContain('/spec/template/spec/containers/name=app/env/name=A/value');
    // Added by kubectl-set (Git does not set it): Argo CD's rule does not cover it.
    expect(shown).toContain('/spec/template/spec/containers/name=app/env/name=B');
    // Another manager's change stays.
    expect(shown).toContain('/metadata/labels/owner');
  });

  it('an omitted group is the core group, kinds and groups are globs, names exact', () => {
    expect(run(mode, [{ kind: 'Deployment', jsonPointers: ['/metadata/labels'] }]).ignored).toEqual(
      [],
    );
    expect(
      run(mode, [{ group: 'app?', kind: 'Deploy*', jsonPointers: ['/metadata/labels'] }]).ignored
        .length,
    ).toBeGreaterThan(0);
    expect(
      run(mode, [{ group: 'apps', kind: 'Deployment', name: 'ap*', jsonPointers: ['/metadata'] }])
        .ignored,
    ).toEqual([]);
    expect(
      run(mode, [{ group: '*', kind: '*', namespace: 'elsewhere', jsonPointers: ['/metadata'] }])
        .ignored,
    ).toEqual([]);
  });

  it('a pointer or expression that fails on an object hides nothing there', () => {
    const r = run(mode, [
      {
        group: '*',
        kind: '*',
        jsonPointers: ['/spec/nothing/here'],
        jqPathExpressions: ['.spec.nothing[] | select(.name == "A")'],
      },
    ]);
    expect(r.findings).toEqual(before.findings);
  });

  it('names the first rule that hides a field on its own', () => {
    const r = run(mode, [
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/metadata/labels/owner'] },
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/metadata/labels'] },
    ]);
    expect(hidden(r)).toContain('Deployment/api /metadata/labels/owner <- rule 0');
  });
});

describe('jsonPointers name list items by position, as Argo CD applies them', () => {
  // The kubectl patch put the sidecar first in the live list: position 1 is `app` in the
  // live object and in the server's prediction, so server-side mode hides its image. The
  // manifest has `app` at position 0, so read-only mode removes different containers on
  // each side, as Argo CD's client-side diff would: the image stays a difference.
  const rule = [
    { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/template/spec/containers/1/image'] },
  ];
  it('server-side', () => {
    expect(hidden(run('server-side', rule))).toEqual([
      'Deployment/api /spec/template/spec/containers/name=app/image <- rule 0',
    ]);
  });
  it('read-only', () => {
    expect(apiFields(run('read-only', rule))).toContain(
      '/spec/template/spec/containers/name=app/image',
    );
  });
});

describe('JSON pointer removal (evanphx/json-patch remove)', () => {
  const doc = { a: { 'b/c': 1, 'd~e': 2, list: [1, 2, 3] }, n: null };
  it('decodes ~1 and ~0 and removes list items by position, negative from the end', () => {
    expect(removePointer(doc, '/a/b~1c')).toEqual({ a: { 'd~e': 2, list: [1, 2, 3] }, n: null });
    expect(removePointer(doc, '/a/d~0e')).toEqual({ a: { 'b/c': 1, list: [1, 2, 3] }, n: null });
    expect(removePointer(doc, '/a/list/0')).toEqual({
      a: { 'b/c': 1, 'd~e': 2, list: [2, 3] },
      n: null,
    });
    expect(removePointer(doc, '/a/list/-1')).toEqual({
      a: { 'b/c': 1, 'd~e': 2, list: [1, 2] },
      n: null,
    });
  });
  it('fails on what is not there', () => {
    for (const p of ['/a/x', '/a/list/3', '/a/list/-4', '/a/list/x', '/n/x', '', '/a/b~1c/z'])
      expect(() => removePointer(doc, p), p).toThrow(PointerMissError);
  });
  it('does not change the input', () => {
    removePointer(doc, '/a/list/0');
    expect(doc.a.list).toEqual([1, 2, 3]);
  });
});

describe("Argo CD's glob (gobwas/glob)", () => {
  it.each([
    ['', '', true],
    ['', 'apps', false],
    ['*', '', true],
    ['apps', 'apps', true],
    ['*.k8s.io', 'networking.k8s.io', true],
    ['app?', 'apps', true],
    ['{apps,batch}', 'batch', true],
    ['[ab]pps', 'apps', true],
    ['[!a]pps', 'apps', false],
    ['Deploy*', 'Deployment', true],
    ['deployment', 'Deployment', false],
    ['a.b', 'axb', false],
    ['[', '[', false],
  ])('%j matches %j: %s', (pattern, text, expected) => {
    expect(argoGlobMatch(pattern, text)).toBe(expected);
  });
});

describe('rule selection and field removal', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'alfred', labels: { a: '1' } },
    spec: { replicas: 3 },
  };
  it('applies pointers, then expressions, of every selected rule', () => {
    const rules = [
      compileIgnoreRule(
        { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
        'r1',
      ),
      compileIgnoreRule(
        { group: 'apps', kind: '*', jqPathExpressions: ['.metadata.labels.a'] },
        'r2',
      ),
      compileIgnoreRule({ kind: 'ConfigMap', jsonPointers: ['/data'] }, 'r3'),
    ];
    const selected = rulesFor(rules, obj);
    expect(selected.map((r) => r.label)).toEqual(['r1', 'r2']);
    expect(removeIgnoredFields(obj, selected)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'alfred', labels: {} },
      spec: {},
    });
  });
});

describe('rule validation', () => {
  it('names each problem by its place in the list', () => {
    const problems = validateIgnoreDifferences([
      { kind: 'Deployment', jsonPointers: ['spec/replicas'] },
      { kind: 'Deployment', jqPathExpressions: ['.a | select(.b == $x)'] },
      { group: 'apps', jsonPointers: ['/x'] },
      { kind: 'ConfigMap', jsonPointer: ['/data'] },
      { kind: 'ConfigMap', jqPathExpressions: [] },
    ]);
    expect(problems.map((p) => `${p.path.join('.')}: ${p.message}`)).toEqual([
      '0.jsonPointers.0: "spec/replicas" is not a JSON pointer: start it with / (e.g. /spec/replicas; list items by position, /spec/template/spec/containers/0/image)',
      '1.jqPathExpressions.0: ".a | select(.b == $x)": variables ($name) are not supported in a path expression (at character 19)',
      '2: a rule needs `kind` (Argo CD requires it; `*` matches every kind)',
      '3.jsonPointer: unknown field (did you mean `jsonPointers`?); allowed here: group, kind, name, namespace, jsonPointers, jqPathExpressions, managedFieldsManagers',
      '3: the rule hides nothing: give jsonPointers, jqPathExpressions or managedFieldsManagers',
      '4: the rule hides nothing: give jsonPointers, jqPathExpressions or managedFieldsManagers',
    ]);
  });
});
