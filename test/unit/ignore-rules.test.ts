import { describe, expect, it } from 'vitest';
import { IgnoreFileError } from '../../src/core/errors';
import { parseIgnoreFile } from '../../src/core/ignore/parse-ignore-file';
import { applyIgnoreRules, pointerCovers } from '../../src/core/ignore/ignore-rules';
import { compareRegion } from '../../src/core/compare/compare-region';
import { loadRecording, regionInput } from './fixtures/load-recording';

const findings = () =>
  compareRegion(regionInput(loadRecording('recorded-hand-changes.json'), 'server-side'));

describe('ignore file parsing', () => {
  it('reads rules, hand managers and the field manager', () => {
    const file = parseIgnoreFile(
      [
        'fieldManager: kustomize-controller',
        'handManagers: [kubectl, kubectl-*, alice]',
        'ignoreDifferences:',
        '  - description: sidecar injected by hand on purpose',
        '    group: apps',
        '    kind: Deployment',
        '    name: api',
        '    jsonPointers: [/spec/template/spec/containers/name=sidecar]',
        '  - kind: ConfigMap',
        '    name: stray*',
        '    findings: [extra]',
      ].join('\n'),
      '.mr-drift-ignore.yaml',
    );
    expect(file.fieldManager).toBe('kustomize-controller');
    expect(file.handManagers).toEqual(['kubectl', 'kubectl-*', 'alice']);
    expect(file.rules).toEqual([
      {
        index: 1,
        description: 'sidecar injected by hand on purpose',
        group: 'apps',
        kind: 'Deployment',
        name: 'api',
        jsonPointers: ['/spec/template/spec/containers/name=sidecar'],
      },
      { index: 2, kind: 'ConfigMap', name: 'stray*', findings: ['extra'] },
    ]);
  });

  it('accepts an empty file', () => {
    expect(parseIgnoreFile('', 'x.yaml')).toEqual({ rules: [] });
  });

  it('names file, line and field of every problem at once', () => {
    const text = [
      'ignoreDifferences:', //      1
      '  - kind: Deployment', //    2
      '    jsonPointers: [spec]', // 3
      '    colour: red', //         4
      '  - name: x', //             5
      '    findings: [added]', //   6
      '  - name: nothing-to-hide', // 7
      'extras: true', //            8
    ].join('\n');
    let err: unknown;
    try {
      parseIgnoreFile(text, '.mr-drift-ignore.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IgnoreFileError);
    const problems = (err as IgnoreFileError).problems.map((p) => `${p.line}:${p.field}`);
    // Exactly these, in file order: a rule whose jsonPointers or findings are invalid gets
    // that problem only, not also "a rule must say what to hide".
    expect(problems).toEqual([
      '3:ignoreDifferences[0].jsonPointers',
      '4:ignoreDifferences[0].colour',
      '6:ignoreDifferences[1].findings',
      '7:ignoreDifferences[2]',
      '8:extras',
    ]);
    expect((err as Error).message).toContain('.mr-drift-ignore.yaml:3:');
    expect((err as Error).message).toContain('start it with /');
    expect((err as Error).message).toContain(
      'ignoreDifferences[0].colour: unknown field; allowed here: description, group, kind,',
    );
  });

  it('suggests the nearest key for a misspelt one, as the config does', () => {
    expect(() =>
      parseIgnoreFile('ignoreDifferences:\n  - kind: Secret\n    jsonPointer: [/data]\n', 'x.yaml'),
    ).toThrow(
      'x.yaml:3:5: ignoreDifferences[0].jsonPointer: unknown field (did you mean `jsonPointers`?); allowed here:',
    );
  });

  it('recognises the generator config given by mistake', () => {
    const config = 'app:\n  name: alfred\nregions:\n  - name: us-east\n';
    expect(() => parseIgnoreFile(config, 'mr-drift.yaml')).toThrow(
      'mr-drift.yaml:1: this is a generator config (it has `app:` and `regions:`), not ignore rules',
    );
    try {
      parseIgnoreFile(config, 'mr-drift.yaml');
    } catch (e) {
      expect((e as IgnoreFileError).hint).toContain('mr-drift generate --config');
    }
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseIgnoreFile('ignoreDifferences:\n  - kind: [\n', 'bad.yaml')).toThrow(
      /bad\.yaml:\d+/,
    );
  });
});

describe('applying ignore rules', () => {
  it('hides fields by pointer (with wildcards) and by manager, and says which rule did it', () => {
    const { findings: kept, ignored } = applyIgnoreRules(
      findings(),
      [
        {
          index: 1,
          description: 'labels are ours',
          kind: 'Deployment',
          name: 'api',
          jsonPointers: ['/metadata/labels'],
        },
        { index: 2, managedFieldsManagers: ['kubectl-set'], kind: 'Deployment' },
        {
          index: 3,
          jsonPointers: ['/spec/template/spec/containers/*/image'],
          regions: ['eu-west'],
        },
      ],
      'us-east',
    );
    const api = kept.find((f) => f.kind === 'Deployment' && f.name === 'api')!;
    expect(api.fields.map((f) => f.path)).toEqual([
      '/spec/replicas',
      '/spec/template/spec/containers/name=sidecar',
    ]);
    expect(ignored.filter((i) => i.rule === '#1 (labels are ours)').map((i) => i.path)).toEqual([
      '/metadata/labels/owner',
    ]);
    expect(ignored.filter((i) => i.rule === '#2')).toHaveLength(4);
    expect(ignored.every((i) => i.type === 'changed' && i.name === 'api')).toBe(true);
  });

  it('hides whole findings of a type and drops a changed finding left without fields', () => {
    const { findings: kept, ignored } = applyIgnoreRules(
      findings(),
      [
        { index: 1, kind: 'ConfigMap', findings: ['extra', 'missing'] },
        { index: 2, kind: 'Service', jsonPointers: ['/metadata'] },
      ],
      'us-east',
    );
    expect(kept.some((f) => f.kind === 'ConfigMap' && f.type !== 'changed')).toBe(false);
    expect(kept.some((f) => f.kind === 'Service')).toBe(false);
    expect(
      ignored
        .filter((i) => i.path === '')
        .map((i) => `${i.type} ${i.name}`)
        .sort(),
    ).toEqual(['extra stray', 'missing obsolete']);
  });

  it('matches pointers segment by segment', () => {
    expect(pointerCovers('/spec', '/spec/replicas')).toBe(true);
    expect(pointerCovers('/spec/replicas', '/spec')).toBe(false);
    expect(pointerCovers('/spec/rep', '/spec/replicas')).toBe(false);
    expect(
      pointerCovers(
        '/spec/ports/port=80,protocol=TCP',
        '/spec/ports/port=80,protocol=TCP/targetPort',
      ),
    ).toBe(true);
    expect(
      pointerCovers('/spec/ports/*/targetPort', '/spec/ports/port=80,protocol=TCP/targetPort'),
    ).toBe(true);
  });
});
