import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../cluster/api-client';
import { CORPORA, corpusDir, prepareCorpus, toStream } from '../cluster/corpus';
import { describeCluster, kubectl, regions } from '../cluster/testing';
import { renderDesired } from '../../src/adapters/desired/render-desired';
import { tempDir } from './drift-helpers';

/**
 * The check reads a folder of plain manifests as kubectl reads it. Every shared corpus
 * (real manifests from public projects) is written out in the shapes people and tools
 * produce (each file as a `v1 List`, as `<Kind>List`s whose items name no kind, CRLF line
 * ends, byte-order marks, JSON streams, JSON documents among YAML ones, empty and
 * comment-only documents, `---` lines inside block scalars) and read twice: by mr-drift
 * (`renderDesired` of the folder, what `--path` does) and by the real kubectl
 * (`kubectl create --dry-run=client -o json -R -f DIR`). Both must give the same objects,
 * field for field.
 */

interface SourceFile {
  /** Path relative to the corpus folder. */
  name: string;
  text: string;
}

/** The corpus as plain files: kustomization.yaml left out (the folder is read as plain YAML). */
function corpusFiles(name: string): SourceFile[] {
  const root = corpusDir(name);
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((e) => {
        const full = join(dir, e);
        if (statSync(full).isDirectory()) return walk(full);
        return /\.ya?ml$/.test(e) && e !== 'kustomization.yaml' ? [full] : [];
      });
  return walk(root).map((f) => ({ name: relative(root, f), text: readFileSync(f, 'utf8') }));
}

/**
 * The objects of one file, read by the `yaml` library (not the product's reader); the
 * items of a list upstream wrote (kube-prometheus has ConfigMapLists) count one by one.
 */
function objectsOf(file: SourceFile): KubeObject[] {
  return parseAllDocuments(file.text)
    .map((d) => d.toJS({ maxAliasCount: -1 }) as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object')
    .flatMap((o) => (o.kind.endsWith('List') ? (o.items as KubeObject[]) : [o]));
}

const retype = (name: string, ext: string) => name.replace(/\.ya?ml$/, ext);

/** Each variant turns the corpus's files into other files holding the same objects. */
const VARIANTS: Record<string, (files: SourceFile[]) => SourceFile[]> = {
  'as upstream wrote it': (files) => files,
  'each file a v1 List': (files) =>
    files.map((f) => ({
      name: f.name,
      text: stringify({ apiVersion: 'v1', kind: 'List', items: objectsOf(f) }),
    })),
  // kubectl gives an item that names neither apiVersion nor kind the list's own type.
  '<Kind>Lists whose items name no kind': (files) =>
    files.map((f) => {
      const groups = new Map<string, KubeObject[]>();
      for (const o of objectsOf(f)) {
        const key = `${o.apiVersion} ${o.kind}`;
        groups.set(key, [...(groups.get(key) ?? []), o]);
      }
      const docs = [...groups.values()].map((items) =>
        stringify({
          apiVersion: items[0].apiVersion,
          kind: `${items[0].kind}List`,
          items: items.map(({ apiVersion: _v, kind: _k, ...rest }) => rest),
        }),
      );
      return { name: f.name, text: docs.join('---\n') };
    }),
  'CRLF line ends': (files) =>
    files.map((f) => ({ name: f.name, text: f.text.replace(/\r?\n/g, '\r\n') })),
  // One file concatenated from files saved with a byte-order mark: one BOM per document.
  'byte-order marks, files concatenated': (files) => [
    {
      name: 'all.yaml',
      text: files.map((f) => `\uFEFF${f.text.replace(/^---\n/, '')}`).join('\n---\n'),
    },
  ],
  'JSON streams (.json, no separators)': (files) =>
    files.map((f) => ({
      name: retype(f.name, '.json'),
      text: objectsOf(f)
        .map((o) => JSON.stringify(o, null, '\t'))
        .join('\n'),
    })),
  'JSON documents in a YAML stream': (files) =>
    files.map((f) => ({
      name: f.name,
      text: objectsOf(f)
        // From the second document on: kubectl reads a file whose first document is JSON
        // as a JSON stream, which cannot hold `---`.
        .map((o, i) => (i % 2 === 1 ? JSON.stringify(o, null, 2) + '\n' : stringify(o)))
        .join('---\n'),
    })),
  'empty, comment-only and null documents': (files) =>
    files.map((f) => ({
      name: f.name,
      text: `---\n# generated\n---\n${f.text.replace(/^---\s*$/gm, '---\n\n---\n~\n---\n# nothing\n---')}\n---\nnull\n...\n`,
    })),
  // A `---` line inside a block scalar is content, not a document separator.
  '--- inside block scalars': (files) =>
    files.map((f) => ({
      name: f.name,
      text: f.text.replace(
        /^(\s*(?:- )?[\w.\-/"]+: [|>][-+]?\n)([ ]+)/gm,
        (_m, head: string, indent: string) => `${head}${indent}---\n${indent}`,
      ),
    })),
};

const keyOf = (o: KubeObject) =>
  `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * kubectl fills in the context's namespace; mr-drift settles namespaces later, per region
 * (resolveDesired). So where mr-drift read no namespace, kubectl's is left out.
 */
function asRead(theirs: KubeObject, ours: ReadonlyMap<string, KubeObject>): KubeObject {
  if (ours.has(keyOf(theirs))) return theirs;
  const { namespace: _filled, ...metadata } = theirs.metadata;
  return { ...theirs, metadata };
}

/** kubectl's -o json output: one JSON object per object, one after another. */
function jsonValues(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0)
      out.push(JSON.parse(text.slice(start, i + 1)) as KubeObject);
  }
  return out;
}

/** True when the variant writes the corpus differently from upstream. */
function changes(corpus: string, variant: string): boolean {
  const upstream = corpusFiles(corpus);
  const made = VARIANTS[variant](upstream);
  return (
    made.length !== upstream.length ||
    made.some((f, i) => f.name !== upstream[i].name || f.text !== upstream[i].text)
  );
}

describeCluster('manifests are read as kubectl reads them (real corpora, plain folders)', () => {
  const region = regions()[0];
  const work = tempDir('manifest-reading');
  afterAll(() => work.dispose());

  beforeAll(async () => {
    // kubectl maps every kind through discovery: the corpora's CRDs must be served.
    // They stay installed afterwards, as in the corpus tests (other runs may use them).
    const crds = Object.keys(CORPORA).flatMap((n) => prepareCorpus(n, 'unused', 'x').crds);
    await kubectl(
      region,
      ['apply', '--server-side', '--force-conflicts', '--field-manager=mr-drift-tests', '-f', '-'],
      { input: toStream(crds), timeoutMs: 300_000 },
    );
    await kubectl(region, [
      'wait',
      '--for=condition=Established',
      '--timeout=120s',
      ...crds.map((c) => `crd/${c.metadata.name}`),
    ]);
  }, 300_000);

  // A variant that changes nothing in a corpus (microservices-demo and podinfo have no
  // block scalars) would prove nothing there: each case must differ from upstream's text.
  const cases = Object.keys(CORPORA).flatMap((corpus) =>
    Object.keys(VARIANTS)
      .filter((variant) => variant === 'as upstream wrote it' || changes(corpus, variant))
      .map((variant) => [corpus, variant] as const),
  );
  it.each(cases)('%s, %s: the same objects as kubectl', async (corpus, variant) => {
    const files = VARIANTS[variant](corpusFiles(corpus));
    const dir = join(work.dir, corpus, variant.replace(/[^\w]+/g, '-'));
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.name)), { recursive: true });
      writeFileSync(join(dir, f.name), f.text);
    }
    const ours = (await renderDesired({ kind: 'folder', dir }, region)).map((s) => s.object);
    const theirs = jsonValues(
      // --validate=false: schema validation is not reading, and it costs kubectl an OpenAPI
      // download per kind (16 s instead of 2 s for kube-prometheus; same output).
      await kubectl(
        region,
        ['create', '--dry-run=client', '--validate=false', '-o', 'json', '-R', '-f', dir],
        { timeoutMs: 300_000 },
      ),
    );
    // kubectl prints a List as one object: its items are what it would create.
    const flat = theirs.flatMap((o) =>
      o.kind === 'List' && Array.isArray(o.items) ? (o.items as KubeObject[]) : [o],
    );
    const oursByKey = new Map(ours.map((o) => [keyOf(o), o]));
    const theirsAsRead = flat.map((o) => asRead(o, oursByKey));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.map(keyOf).sort()).toEqual(theirsAsRead.map(keyOf).sort());
    const theirsByKey = new Map(theirsAsRead.map((o) => [keyOf(o), o]));
    for (const o of ours) expect(o, keyOf(o)).toEqual(theirsByKey.get(keyOf(o)));
  });
});
