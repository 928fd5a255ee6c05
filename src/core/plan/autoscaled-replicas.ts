import { LineCounter, parseAllDocuments } from 'yaml';
import { isAutoscaler, scaleTargetOf, type ScaleTarget } from '../autoscaling/scale-target';
import type { Problem } from '../errors';
import type { RenderedYaml } from './yaml-shapes';

/**
 * The rule: no generated file sets the replicas of a workload that a
 * HorizontalPodAutoscaler of the same overlay scales.
 *
 * Git and the HPA would fight over the number: every Argo CD self-heal or Flux reconcile
 * writes Git's value back, and the HPA scales away from it again, forever. Both projects
 * say to leave `spec.replicas` out of Git when an HPA manages the workload; the HPA's
 * `minReplicas`/`maxReplicas` carry the intent instead. The bundled templates follow
 * this; the rule keeps template overrides (and future template edits) from breaking it.
 *
 * Kustomize can set replicas in four ways, and each is looked at: a manifest or
 * strategic-merge patch with `spec.replicas`, a JSON 6902 patch of `/spec/replicas`
 * (file or inline, `patches` or `patchesJson6902`), and the kustomization's `replicas`
 * field. A patch target is matched by its kind and name (anchored regular expressions, as
 * kustomize does); label and annotation selectors are not evaluated, so such a patch
 * counts as matching.
 */

/** One rendered file, as the rule needs it. */
export interface RenderedFile {
  /** Path in the tree, `/`-separated: `base/...`, `regions/<region>/...`. */
  path: string;
  /** Template file it came from (shown in messages). */
  origin: string;
  /** That template's text, to point at its line. */
  source?: string | undefined;
  /** The rendered text (with header), to point at the rendered line. */
  content: string;
  yaml: RenderedYaml;
}

type Step = string | number;

/** Something that sets replicas on the objects it selects. */
interface Setter {
  file: RenderedFile;
  doc: number;
  /** Path of the node that sets replicas, inside document `doc` (for its line). */
  at: Step[];
  /** Field as shown to the user. */
  field: string;
  /** Template lines that can hold this setter. */
  templateLine: RegExp;
  select: (t: ScaleTarget) => boolean;
}

interface Autoscaler {
  file: RenderedFile;
  name: string;
  target: ScaleTarget;
}

/**
 * Every place where the tree sets replicas on an autoscaled workload, one problem per
 * template and workload (the same template rendered for 50 regions is one problem).
 * Empty when the rule holds.
 */
export function autoscaledReplicaProblems(files: readonly RenderedFile[]): Problem[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const hits = new Map<string, { setter: Setter; hpa: Autoscaler; paths: string[] }>();
  for (const scope of overlayScopes(files)) {
    const autoscalers: Autoscaler[] = [];
    const setters: Setter[] = [];
    for (const file of scope) {
      file.yaml.outlines().forEach((doc, i) => {
        const target = scaleTargetOf(doc);
        if (target) autoscalers.push({ file, name: nameOf(doc) ?? '(unnamed)', target });
        setters.push(...settersIn(file, i, doc, byPath));
      });
    }
    for (const hpa of autoscalers) {
      for (const setter of setters) {
        if (!setter.select(hpa.target)) continue;
        const key = [setter.file.origin, setter.field, hpa.target.kind, hpa.target.name].join('\0');
        const hit = hits.get(key) ?? { setter, hpa, paths: [] };
        if (!hit.paths.includes(setter.file.path)) hit.paths.push(setter.file.path);
        hits.set(key, hit);
      }
    }
  }
  return [...hits.values()].map(({ setter, hpa, paths }) => {
    const rendered = renderedLine(setter.file.content, setter.doc, setter.at);
    const more = paths.length > 1 ? ` and ${paths.length - 1} more` : '';
    const problem: Problem = {
      file: setter.file.origin,
      field: setter.field,
      message:
        `sets the replicas of ${hpa.target.kind} ${hpa.target.name}, which HorizontalPodAutoscaler ` +
        `${hpa.name} (${hpa.file.path}) scales (rendered into ${setter.file.path}` +
        `${rendered ? `:${rendered}` : ''}${more})`,
    };
    const line = templateLine(setter.file.source, setter.templateLine);
    if (line) problem.line = line;
    return problem;
  });
}

/**
 * The sets of files kustomize builds together: the base alone, and each region overlay
 * with the base it includes. The GitOps folders hold Argo CD / Flux objects only.
 */
function overlayScopes(files: readonly RenderedFile[]): RenderedFile[][] {
  const base = files.filter((f) => f.path.startsWith('base/'));
  const regions = new Map<string, RenderedFile[]>();
  for (const f of files) {
    const m = /^regions\/([^/]+)\//.exec(f.path);
    if (m) regions.set(m[1], [...(regions.get(m[1]) ?? []), f]);
  }
  return [base, ...[...regions.values()].map((r) => [...base, ...r])];
}

const REPLICAS_KEY = /^\s*-?\s*["']?replicas["']?\s*:/;
const REPLICAS_POINTER = /\/spec\/replicas/;

function settersIn(
  file: RenderedFile,
  doc: number,
  value: unknown,
  byPath: ReadonlyMap<string, RenderedFile>,
): Setter[] {
  if (!isMap(value)) return [];
  if (isKustomization(file, value)) {
    // Outlines leave out the kustomization's own fields: read it whole (one per folder).
    const whole = file.yaml.documents()[doc];
    return isMap(whole) ? kustomizationSetters(file, doc, whole, byPath) : [];
  }
  const spec = value.spec;
  if (isAutoscaler(value) || !isMap(spec) || !('replicas' in spec)) return [];
  if (typeof value.kind !== 'string') return [];
  return [
    {
      file,
      doc,
      at: ['spec', 'replicas'],
      field: 'spec.replicas',
      templateLine: REPLICAS_KEY,
      select: selectObject(value.kind, nameOf(value), value.apiVersion),
    },
  ];
}

function kustomizationSetters(
  file: RenderedFile,
  doc: number,
  k: Record<string, unknown>,
  byPath: ReadonlyMap<string, RenderedFile>,
): Setter[] {
  const out: Setter[] = [];
  list(k.replicas).forEach((r, i) => {
    if (!isMap(r) || typeof r.name !== 'string') return;
    const name = r.name;
    out.push({
      file,
      doc,
      at: ['replicas', i],
      field: `replicas[${i}]`,
      templateLine: REPLICAS_KEY,
      // kustomize's replica transformer picks workloads by name only.
      select: (t) => t.name === name,
    });
  });
  const dir = file.path.slice(0, file.path.lastIndexOf('/') + 1);
  for (const key of ['patches', 'patchesJson6902', 'patchesStrategicMerge']) {
    list(k[key]).forEach((entry, i) => {
      const e: Record<string, unknown> =
        typeof entry === 'string' ? { path: entry } : isMap(entry) ? entry : {};
      const target = isMap(e.target) ? e.target : undefined;
      const inline = typeof e.patch === 'string' ? e.patch : undefined;
      // patchesStrategicMerge entries may be inline patches rather than paths.
      const inlineSmp =
        key === 'patchesStrategicMerge' && typeof entry === 'string' && entry.includes('\n')
          ? entry
          : undefined;
      const docs = inline ?? inlineSmp;
      const fromFile =
        !docs && typeof e.path === 'string' ? byPath.get(joinPath(dir, e.path)) : undefined;
      const patchDocs = docs !== undefined ? parseInline(docs) : (fromFile?.yaml.documents() ?? []);
      patchDocs.forEach((p, d) => {
        // A patch file is pointed at itself; an inline patch at its kustomization entry.
        const at = (inFile: Step[]): Pick<Setter, 'file' | 'doc' | 'at'> =>
          fromFile ? { file: fromFile, doc: d, at: inFile } : { file, doc, at: [key, i] };
        if (Array.isArray(p)) {
          p.forEach((op, o) => {
            if (!isJsonPatchOfReplicas(op)) return;
            out.push({
              ...at([o, 'path']),
              field: fromFile ? `[${o}].path` : `${key}[${i}]`,
              templateLine: REPLICAS_POINTER,
              select: selectByTarget(target),
            });
          });
        } else if (isMap(p) && isMap(p.spec) && 'replicas' in p.spec) {
          const kind = typeof p.kind === 'string' ? p.kind : undefined;
          out.push({
            ...at(['spec', 'replicas']),
            field: fromFile ? 'spec.replicas' : `${key}[${i}]`,
            templateLine: REPLICAS_KEY,
            select: kind ? selectObject(kind, nameOf(p), p.apiVersion) : selectByTarget(target),
          });
        }
      });
    });
  }
  return out;
}

function isJsonPatchOfReplicas(op: unknown): boolean {
  return (
    isMap(op) &&
    op.path === '/spec/replicas' &&
    typeof op.op === 'string' &&
    ['add', 'replace', 'copy', 'move'].includes(op.op)
  );
}

function selectObject(kind: string, name: string | undefined, apiVersion: unknown) {
  return (t: ScaleTarget): boolean =>
    t.kind === kind &&
    (name === undefined || t.name === name) &&
    (t.group === undefined || typeof apiVersion !== 'string' || t.group === groupOf(apiVersion));
}

/** A kustomize patch target: every field is an anchored regular expression. */
function selectByTarget(target: Record<string, unknown> | undefined) {
  const kind = pattern(target?.kind);
  const name = pattern(target?.name);
  const group = pattern(target?.group);
  return (t: ScaleTarget): boolean =>
    kind(t.kind) && name(t.name) && (t.group === undefined || group(t.group));
}

function pattern(value: unknown): (s: string) => boolean {
  if (typeof value !== 'string' || value === '') return () => true;
  try {
    const re = new RegExp(`^(?:${value})$`);
    return (s) => re.test(s);
  } catch {
    return (s) => s === value;
  }
}

function isKustomization(file: RenderedFile, doc: Record<string, unknown>): boolean {
  if (typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('kustomize.config.k8s.io/'))
    return true;
  return doc.kind === undefined && /(^|\/)kustomization\.ya?ml$/.test(file.path);
}

function parseInline(text: string): unknown[] {
  try {
    return parseAllDocuments(text).map((d) => d.toJS() as unknown);
  } catch {
    return [];
  }
}

/** `regions/us-east/` + `../../base/x.yaml` -> `base/x.yaml`. */
function joinPath(dir: string, rel: string): string {
  const parts = dir.split('/').filter(Boolean);
  for (const p of rel.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

/** 1-based line of the node at `at` in document `doc` of the rendered text. */
function renderedLine(content: string, doc: number, at: Step[]): number | undefined {
  const lines = new LineCounter();
  const docs = parseAllDocuments(content, { lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  const node = list[doc]?.getIn(at, true) as { range?: [number, number, number] } | undefined;
  return node?.range ? lines.linePos(node.range[0]).line : undefined;
}

/** The one line of the template that can hold the setter; undefined when not exactly one. */
function templateLine(source: string | undefined, re: RegExp): number | undefined {
  if (source === undefined) return undefined;
  const found = source.split('\n').flatMap((l, i) => (re.test(l) ? [i + 1] : []));
  return found.length === 1 ? found[0] : undefined;
}

function nameOf(doc: unknown): string | undefined {
  const name = isMap(doc) && isMap(doc.metadata) ? doc.metadata.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
