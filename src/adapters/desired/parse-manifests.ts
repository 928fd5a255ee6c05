/**
 * Parses multi-document YAML (kustomize output, a plain manifest file) into Kubernetes
 * objects, with YAML 1.1 semantics as kubectl, Argo CD and Flux read it (`0644` is octal,
 * `yes` is true). Every problem is collected with file and line, then reported at once.
 * Messages never quote document text, which may hold Secret values.
 */
import { RenderError, listProblems, type Problem } from '../../core/errors';
import { loadYamlDocuments } from './load-yaml';
import { isJsonObject, type KubeObject, type SourcedObject } from '../../core/compare/kube-object';

/**
 * Parses `text` (named `file` in messages). Empty documents are skipped; `kind: List`
 * documents are expanded into their items. Problems are appended to `problems`.
 */
export function parseManifests(
  text: string,
  file: string,
  problems: Problem[],
  withLines = true,
): SourcedObject[] {
  const out: SourcedObject[] = [];
  for (const doc of loadYamlDocuments(text, file, problems)) {
    const where = { file, ...(withLines ? { line: doc.line } : {}) };
    const value = doc.value;
    const items =
      isJsonObject(value) && value.kind === 'List' && Array.isArray(value.items)
        ? value.items
        : [value];
    for (const item of items) {
      const obj = checkObject(item, where, problems);
      if (obj) out.push({ object: obj, source: file, ...(where.line ? { line: where.line } : {}) });
    }
  }
  return out;
}

function checkObject(
  v: unknown,
  where: { file: string; line?: number },
  problems: Problem[],
): KubeObject | undefined {
  const fail = (field: string | undefined, message: string) => {
    problems.push({ ...where, ...(field ? { field } : {}), message });
    return undefined;
  };
  if (!isJsonObject(v))
    return fail(undefined, 'a document must be a Kubernetes object (a mapping)');
  const obj = v as Record<string, unknown>;
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '')
    return fail('apiVersion', 'missing or not a string');
  if (typeof obj.kind !== 'string' || obj.kind === '')
    return fail('kind', 'missing or not a string');
  if (!isJsonObject(obj.metadata)) return fail('metadata', 'missing or not a mapping');
  const meta = obj.metadata as Record<string, unknown>;
  if (typeof meta.name !== 'string' || meta.name === '') {
    return fail(
      'metadata.name',
      `missing (generateName is not supported: a drift check needs a fixed name)`,
    );
  }
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string')
    return fail('metadata.namespace', 'not a string');
  return v as KubeObject;
}

/** Throws a RenderError listing the problems, if any. */
export function throwIfProblems(problems: Problem[], what: string): void {
  if (problems.length === 0) return;
  throw new RenderError(
    listProblems(
      [...problems].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0)),
      `in ${what}`,
    ),
    'Fix the manifests (each document needs apiVersion, kind and metadata.name).',
  );
}
