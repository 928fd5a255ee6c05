import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/core/errors';
import { RenderError } from '../../src/core/errors';
import { loadYamlDocuments } from '../../src/adapters/desired/load-yaml';
import { parseManifests } from '../../src/adapters/desired/parse-manifests';
import { detectLayout, renderDesired } from '../../src/adapters/desired/render-desired';

const root = mkdtempSync(join(tmpdir(), 'mr-drift-manifests-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('reading manifests as kubectl does (YAML 1.1)', () => {
  it('resolves scalars like Go yaml.v2', () => {
    const problems: Problem[] = [];
    const [doc] = loadYamlDocuments(
      'mode: 0644\nhex: 0x1F\nbig: 1_000\nyes1: yes\nquoted: "no"\nnine: 09\ndate: 2024-01-01\nratio: 1.5\nempty:\nbase: &b {x: 1}\nmerged: {<<: *b, z: 2}\n',
      'f.yaml',
      problems,
    );
    expect(problems).toEqual([]);
    expect(doc.value).toEqual({
      mode: 420,
      hex: 31,
      big: 1000,
      yes1: true,
      quoted: 'no',
      nine: 9,
      date: '2024-01-01',
      ratio: 1.5,
      empty: null,
      base: { x: 1 },
      merged: { x: 1, z: 2 },
    });
  });

  it('knows the line each document starts on, and skips empty ones', () => {
    const docs = loadYamlDocuments(
      'a: 1\n---\n# only a comment\n---\n\n\nb: 2\n--- {c: 3}\n',
      'f.yaml',
      [],
    );
    expect(docs.map((d) => [d.value, d.line])).toEqual([
      [{ a: 1 }, 1],
      [{ b: 2 }, 7],
      [{ c: 3 }, 8],
    ]);
  });

  it('reports syntax errors by line without quoting the text', () => {
    const problems: Problem[] = [];
    loadYamlDocuments(
      'a: 1\n---\nkind: Secret\ndata: {password: "s3cr3t-value", [\n',
      'secret.yaml',
      problems,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'secret.yaml', line: 4 });
    expect(JSON.stringify(problems)).not.toContain('s3cr3t-value');
  });

  it('checks each object, expands Lists and names file, line and field of problems', () => {
    const problems: Problem[] = [];
    const objects = parseManifests(
      [
        'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}',
        'kind: ConfigMap\nmetadata: {name: c}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: d-}',
        '- just\n- a list',
      ].join('\n---\n'),
      'app.yaml',
      problems,
    );
    expect(objects.map((o) => [o.object.metadata.name, o.line])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [7, 'apiVersion'],
      [10, 'metadata.name'],
      [14, undefined],
    ]);
  });
});

describe('the shapes kubectl accepts (compared with real kubectl in manifest-reading.test.ts)', () => {
  const names = (text: string, problems: Problem[] = []) =>
    parseManifests(text, 'f.yaml', problems).map((o) => [
      o.object.apiVersion,
      o.object.kind,
      o.object.metadata.name,
      o.line,
    ]);

  it('expands every <Kind>List; an item naming no kind takes the list type', () => {
    const problems: Problem[] = [];
    expect(
      names(
        [
          'apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}',
          'apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: c}',
          'apiVersion: v1\nkind: ServiceList\nitems: []',
          'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}]}',
          // A kind that merely ends in "List" but has no items is an ordinary object.
          'apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: not-a-collection}',
        ].join('\n---\n'),
        problems,
      ),
    ).toEqual([
      ['v1', 'ConfigMap', 'a', 1],
      ['v1', 'Secret', 'b', 1],
      ['apps/v1', 'Deployment', 'c', 7],
      ['v1', 'ConfigMap', 'nested', 16],
      ['example.com/v1', 'AllowList', 'not-a-collection', 21],
    ]);
    expect(problems).toEqual([]);
  });

  it('names the item of a list that is not an object', () => {
    const problems: Problem[] = [];
    names('apiVersion: v1\nkind: List\nitems:\n- metadata: {name: x}\n- just text', problems);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [1, 'items[0].apiVersion'],
      [1, 'items[1]'],
    ]);
  });

  it('reads a stream of JSON objects with no separators, and knows their lines', () => {
    const text =
      '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "}{"}}\n' +
      '{\n\t"apiVersion": "v1",\n\t"kind": "ConfigMap",\n\t"metadata": {"name": "b"}\n}';
    expect(names(text)).toEqual([
      ['v1', 'ConfigMap', 'a', 1],
      ['v1', 'ConfigMap', 'b', 2],
    ]);
  });

  it('reads JSON documents among YAML ones', () => {
    expect(
      names(
        'kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}\n',
      ),
    ).toEqual([
      ['v1', 'ConfigMap', 'a', 1],
      ['v1', 'ConfigMap', 'b', 5],
    ]);
  });

  it('skips byte-order marks at the start of the file and of each document', () => {
    const doc = (n: string) => `\uFEFFapiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}}\n`;
    expect(names(`${doc('a')}---\n${doc('b')}`)).toEqual([
      ['v1', 'ConfigMap', 'a', 1],
      ['v1', 'ConfigMap', 'b', 5],
    ]);
    expect(
      names(`\uFEFF{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}`),
    ).toEqual([['v1', 'ConfigMap', 'j', 1]]);
  });

  it('reads CRLF line ends as LF, in values too', () => {
    const [obj] = parseManifests(
      'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  s: |\r\n    one\r\n    two\r\n---\r\n',
      'f.yaml',
      [],
    );
    expect(obj.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      data: { s: 'one\ntwo\n' },
    });
  });

  it('keeps a --- line inside a block scalar as content', () => {
    const [obj, next] = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  doc: |\n    title\n    ---\n    body\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n',
      'f.yaml',
      [],
    );
    expect(obj.object.data).toEqual({ doc: 'title\n---\nbody\n' });
    expect(next.object.metadata.name).toBe('b');
  });
});

describe('desired-state layouts', () => {
  it('a folder of plain YAML: every .yaml/.yml/.json file, recursively, in path order', async () => {
    const dir = join(root, 'plain');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
    writeFileSync(
      join(dir, 'nested', 'a.json'),
      '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}',
    );
    writeFileSync(
      join(dir, '.hidden', 'x.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hidden}\n',
    );
    writeFileSync(join(dir, 'README.md'), '# not a manifest');
    const layout = await detectLayout(dir);
    expect(layout.kind).toBe('folder');
    expect((await renderDesired(layout, 'any')).map((o) => o.object.metadata.name)).toEqual([
      'b',
      'a',
    ]);
  });

  it('an overlays tree: one kustomization per region, rendered by the real kustomize', async () => {
    const dir = join(root, 'tree');
    for (const region of ['eu', 'us']) {
      mkdirSync(join(dir, 'regions', region), { recursive: true });
      writeFileSync(
        join(dir, 'regions', region, 'cm.yaml'),
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {region: ${region}}\n`,
      );
      writeFileSync(
        join(dir, 'regions', region, 'kustomization.yaml'),
        `resources: [cm.yaml]\nnamespace: app-${region}\n`,
      );
    }
    const layout = await detectLayout(dir);
    expect(layout).toMatchObject({ kind: 'overlays', regions: ['eu', 'us'] });
    const [cm] = await renderDesired(layout, 'us');
    expect(cm.object).toMatchObject({
      metadata: { name: 'cfg', namespace: 'app-us' },
      data: { region: 'us' },
    });
    expect(cm.source).toMatch(/regions\/us\/kustomization\.yaml$/);
  });

  it('refuses broken manifests with every problem at once', async () => {
    const file = join(root, 'broken.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: "unclosed\n',
    );
    const err = await renderDesired(await detectLayout(file), 'r').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toMatch(
      /2 problems in .*broken\.yaml:\n {2}.*broken\.yaml:1: kind: missing or not a string\n {2}.*broken\.yaml:7(:\d+)?: invalid YAML/,
    );
    expect((err as Error).message).not.toContain('unclosed');
  });

  it('a missing path is a usage error', async () => {
    await expect(detectLayout(join(root, 'nope'))).rejects.toThrow(/no such file or folder/);
  });
});
