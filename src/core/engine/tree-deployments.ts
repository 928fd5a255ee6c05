/**
 * Who deploys each region, read from the GitOps tree in Git: the Argo CD Application (or
 * the Application an ApplicationSet makes for it) or the Flux Kustomization whose source
 * path is the region's overlay. From it come the engine (whose per-object settings count,
 * see engine-of.ts) and the settings that change what counts as drift: an Application's
 * `spec.ignoreDifferences`, its sync options and compare options; for Flux, which has no
 * `ignoreDifferences`, the generator's rules in the Kustomization's
 * `mr-drift.io/ignore-differences` annotation (which Flux does not read).
 *
 * Pure: the adapter hands in the files' text; problems come back with file, line and field.
 */
import { LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import type { Problem } from '../errors';
import { formatPath, locate } from '../config/yaml-locate';
import { compileIgnoreRule, type CompiledIgnoreRule } from './ignore-differences';
import { ARGOCD_COMPARE_OPTIONS, splitArgoOptions, type Engine } from './engine-annotations';
import { toRules, validateIgnoreDifferences } from './validate-ignore-differences';

/** The annotation on a Flux Kustomization that carries the generator's ignore rules. */
export const FLUX_IGNORE_ANNOTATION = 'mr-drift.io/ignore-differences';

/** A file of the tree: how messages name it, and its text. */
export interface TreeFile {
  path: string;
  text: string;
}

/** An Application or Flux Kustomization found in the tree. */
export interface Deployment {
  engine: Engine;
  /** How reports name it: `Argo CD Application alfred-us-east` (`, from ApplicationSet alfred`). */
  name: string;
  /** The file it is written in. */
  file: string;
  /**
   * Its source paths, repo-relative, without `./` or a trailing `/`. An ApplicationSet
   * placeholder that could not be filled in (a generator other than `list`) matches any
   * single folder name.
   */
  paths: string[];
  ignoreDifferences: CompiledIgnoreRule[];
  /** Argo CD: the Application's `spec.syncPolicy.syncOptions`. */
  syncOptions: string[];
  /** Argo CD: the options of the Application's `argocd.argoproj.io/compare-options`. */
  compareOptions: string[];
}

export interface TreeDeployments {
  deployments: Deployment[];
  problems: Problem[];
  /** Notes for every region (an ApplicationSet whose generators cannot be expanded ...). */
  warnings: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function groupOf(apiVersion: unknown): string {
  const s = str(apiVersion) ?? '';
  const slash = s.indexOf('/');
  return slash < 0 ? '' : s.slice(0, slash);
}

/** Only files that can hold one of these are parsed at all. */
const MENTIONS = /argoproj\.io|kustomize\.toolkit\.fluxcd\.io/;

/** Reads the Applications, ApplicationSets and Flux Kustomizations of the tree's files. */
export function readTreeDeployments(files: readonly TreeFile[]): TreeDeployments {
  const out: TreeDeployments = { deployments: [], problems: [], warnings: [] };
  for (const file of files) {
    if (!MENTIONS.test(file.text)) continue;
    const lines = new LineCounter();
    const docs = parseAllDocuments(file.text, { lineCounter: lines });
    if (!Array.isArray(docs)) continue;
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        // Not ours to judge unless it is one of the objects read here.
        continue;
      }
      const data: unknown = doc.toJS();
      if (!isObject(data)) continue;
      const group = groupOf(data.apiVersion);
      if (group === 'argoproj.io' && data.kind === 'Application')
        readApplication(data, [], doc, lines, file.path, undefined, out);
      else if (group === 'argoproj.io' && data.kind === 'ApplicationSet')
        readApplicationSet(data, doc, lines, file.path, out);
      else if (group === 'kustomize.toolkit.fluxcd.io' && data.kind === 'Kustomization')
        readFluxKustomization(data, doc, lines, file.path, out);
    }
  }
  // The template's problems come once, not once per Application it makes.
  const seen = new Set<string>();
  out.problems = out.problems
    .filter((p) => {
      const key = JSON.stringify([p.file, p.line, p.column, p.field, p.message]);
      return seen.has(key) ? false : (seen.add(key), true);
    })
    .sort(
      (a, b) =>
        (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
        (a.line ?? 0) - (b.line ?? 0) ||
        (a.column ?? 0) - (b.column ?? 0),
    );
  return out;
}

/** A normalised repo-relative path: no `./`, no duplicate or trailing `/`. */
export function normalizeSourcePath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return parts.join('/');
}

/**
 * The deployment whose source path is the region's folder (`regionDir`, repo-relative);
 * a warning when several are.
 */
export function deploymentFor(
  deployments: readonly Deployment[],
  regionDir: string,
): { deployment?: Deployment; warning?: string } {
  const dir = normalizeSourcePath(regionDir);
  const found = deployments.filter((d) => d.paths.some((p) => pathMatches(p, dir)));
  if (found.length === 0) return {};
  const [first] = found;
  if (found.length === 1) return { deployment: first };
  const others = new Set(found.slice(1).map((d) => d.name));
  return {
    deployment: first,
    warning: `${dir} is the source of ${found.length} objects in the tree; the settings of ${first.name} (${first.file}) are used, not those of ${[...others].join(', ')}`,
  };
}

function pathMatches(pattern: string, dir: string): boolean {
  if (!pattern.includes('{{')) return pattern === dir;
  const re = pattern
    .split(/(\{\{.*?\}\})/)
    .map((part) => (part.startsWith('{{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(dir);
}

type Path = Array<string | number>;

function place(
  doc: Document,
  lines: LineCounter,
  file: string,
  path: Path,
  message: string,
  atKey = false,
): Problem {
  const pos = locate(doc, lines, path, atKey);
  return {
    file,
    ...(pos ? { line: pos.line, column: pos.column } : {}),
    field: formatPath(path),
    message,
  };
}

/** Validates and compiles a list of rules found at `path` in a document. */
function rulesAt(
  value: unknown,
  where: { doc: Document; lines: LineCounter; file: string; path: Path },
  label: (i: number) => string,
  engine: Engine | undefined,
  out: TreeDeployments,
): CompiledIgnoreRule[] {
  if (value === undefined || value === null) return [];
  const problems = validateIgnoreDifferences(value, { shape: true });
  for (const p of problems)
    out.problems.push(
      place(where.doc, where.lines, where.file, [...where.path, ...p.path], p.message, p.atKey),
    );
  if (problems.length > 0 || !Array.isArray(value)) return [];
  return toRules(value).map((rule, i) => compileIgnoreRule(rule, label(i), engine));
}

function readApplication(
  app: JsonObject,
  at: Path,
  doc: Document,
  lines: LineCounter,
  file: string,
  fromSet: string | undefined,
  out: TreeDeployments,
): void {
  const metadata = isObject(app.metadata) ? app.metadata : {};
  const spec = isObject(app.spec) ? app.spec : {};
  const appName = str(metadata.name) ?? '(unnamed)';
  const name = `Argo CD Application ${appName}${fromSet ? ` (ApplicationSet ${fromSet})` : ''}`;
  const sources = [
    ...(isObject(spec.source) ? [spec.source] : []),
    ...(Array.isArray(spec.sources) ? spec.sources.filter(isObject) : []),
  ];
  const paths = sources.flatMap((s) =>
    typeof s.path === 'string' ? [normalizeSourcePath(s.path)] : [],
  );
  const syncPolicy = isObject(spec.syncPolicy) ? spec.syncPolicy : {};
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const compare = str(annotations[ARGOCD_COMPARE_OPTIONS]);
  const ignoreDifferences = rulesAt(
    spec.ignoreDifferences,
    { doc, lines, file, path: [...at, 'spec', 'ignoreDifferences'] },
    (i) => `${name} spec.ignoreDifferences[${i}] (${file})`,
    'argocd',
    out,
  );
  out.deployments.push({
    engine: 'argocd',
    name,
    file,
    paths,
    ignoreDifferences,
    syncOptions: strings(syncPolicy.syncOptions).map((s) => s.trim()),
    compareOptions: compare ? splitArgoOptions(compare) : [],
  });
}

/**
 * An ApplicationSet: the Applications its `list` generators make (the template with each
 * element's values filled in); with any other generator, the template itself, whose
 * placeholders then match any folder name.
 */
function readApplicationSet(
  set: JsonObject,
  doc: Document,
  lines: LineCounter,
  file: string,
  out: TreeDeployments,
): void {
  const metadata = isObject(set.metadata) ? set.metadata : {};
  const spec = isObject(set.spec) ? set.spec : {};
  const setName = str(metadata.name) ?? '(unnamed)';
  const template = isObject(spec.template) ? spec.template : undefined;
  if (!template) return;
  const goTemplate = spec.goTemplate === true;
  const generators = Array.isArray(spec.generators) ? spec.generators.filter(isObject) : [];
  const elements: JsonObject[] = [];
  let expandable = generators.length > 0;
  for (const g of generators) {
    const list = isObject(g.list) ? g.list : undefined;
    if (list && Array.isArray(list.elements) && Object.keys(g).length === 1)
      elements.push(...list.elements.filter(isObject));
    else expandable = false;
  }
  if (spec.templatePatch !== undefined)
    out.warnings.push(
      `ApplicationSet ${setName} (${file}) has a templatePatch, which mr-drift does not apply: its settings are read from spec.template`,
    );
  if (!expandable) {
    out.warnings.push(
      `ApplicationSet ${setName} (${file}) has generators other than \`list\`: its template is matched to the regions with each placeholder standing for any folder name`,
    );
    readApplication(template, ['spec', 'template'], doc, lines, file, setName, out);
    return;
  }
  for (const element of elements) {
    const filled = fill(template, element, goTemplate) as JsonObject;
    readApplication(filled, ['spec', 'template'], doc, lines, file, setName, out);
  }
}

/** The template with `{{.key}}` (goTemplate) or `{{key}}` placeholders filled in. */
function fill(value: Json, element: JsonObject, goTemplate: boolean): Json {
  if (typeof value === 'string')
    return value.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (whole, expr: string) => {
      const key = goTemplate ? (expr.startsWith('.') ? expr.slice(1) : undefined) : expr;
      if (key === undefined || !/^[A-Za-z0-9_.-]+$/.test(key)) return whole;
      let v: Json | undefined = element;
      for (const k of key.split('.')) v = isObject(v) ? v[k] : undefined;
      if (v === undefined && !goTemplate && Object.hasOwn(element, key)) v = element[key];
      return v === undefined || v === null || typeof v === 'object' ? whole : String(v);
    });
  if (Array.isArray(value)) return value.map((v) => fill(v, element, goTemplate));
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, fill(v, element, goTemplate)]),
    );
  return value;
}

function readFluxKustomization(
  k: JsonObject,
  doc: Document,
  lines: LineCounter,
  file: string,
  out: TreeDeployments,
): void {
  const metadata = isObject(k.metadata) ? k.metadata : {};
  const spec = isObject(k.spec) ? k.spec : {};
  const name = `Flux Kustomization ${str(metadata.name) ?? '(unnamed)'}`;
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  const text = annotations[FLUX_IGNORE_ANNOTATION];
  let ignoreDifferences: CompiledIgnoreRule[] = [];
  const annotationPath: Path = ['metadata', 'annotations', FLUX_IGNORE_ANNOTATION];
  if (typeof text === 'string') {
    const inner = parseDocument(text);
    if (inner.errors.length > 0) {
      out.problems.push(
        place(
          doc,
          lines,
          file,
          annotationPath,
          `not valid YAML: ${inner.errors[0].message.split('\n')[0]}`,
        ),
      );
    } else {
      ignoreDifferences = rulesAt(
        inner.toJS(),
        { doc, lines, file, path: annotationPath },
        (i) => `the ignore rule ${i} of ${name} (${FLUX_IGNORE_ANNOTATION}, ${file})`,
        undefined,
        out,
      );
    }
  } else if (text !== undefined) {
    out.problems.push(
      place(doc, lines, file, annotationPath, 'expected the rules as a YAML list in a string'),
    );
  }
  out.deployments.push({
    engine: 'flux',
    name,
    file,
    paths: typeof spec.path === 'string' ? [normalizeSourcePath(spec.path)] : [''],
    ignoreDifferences,
    syncOptions: [],
    compareOptions: [],
  });
}
