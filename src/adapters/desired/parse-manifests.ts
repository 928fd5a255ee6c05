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
 * Parses `text` (named `file` in messages). Empty documents are skipped; a `v1 List` and
 * every `<Kind>List` with `items` (ConfigMapList, DeploymentList, a CRD's FooList ...) is
 * expanded into its items, as kubectl and kustomize expand them; an item that names
 * neither apiVersion nor kind takes them from its list (`ConfigMap` and `v1` in a v1
 * ConfigMapList), as kubectl reads it. Problems are appended to `problems`.
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
    for (const { value, field } of expandLists(doc.value, '')) {
      const obj = checkObject(value, field, where, problems);
      if (obj) out.push({ object: obj, source: file, ...(where.line ? { line: where.line } : {}) });
    }
  }
  return out;
}

/**
 * A collection (kind ending in `List`, with an `items` field; kustomize's rule) as its
 * items, lists inside lists too; anything else as itself. `field` locates each in messages.
 */
function expandLists(value: unknown, field: string): Array<{ value: unknown; field: string }> {
  if (
    !isJsonObject(value) ||
    typeof value.kind !== 'string' ||
    !value.kind.endsWith('List') ||
    !('items' in value)
  )
    return [{ value, field }];
  const items = value.items ?? [];
  if (!Array.isArray(items)) return [{ value: items, field: `${field}items` }];
  const itemKind = value.kind.slice(0, -'List'.length);
  return items.flatMap((item: unknown, i) => {
    const at = `${field}items[${i}].`;
    // kubectl's rule: an item with neither apiVersion nor kind is of the list's own type.
    const typed =
      isJsonObject(item) &&
      item.apiVersion === undefined &&
      item.kind === undefined &&
      itemKind !== '' &&
      typeof value.apiVersion === 'string'
        ? { apiVersion: value.apiVersion, kind: itemKind, ...item }
        : item;
    return expandLists(typed, at);
  });
}

function checkObject(
  v: unknown,
  /** Where the object sits in its document (`items[2].`), empty for a whole document. */
  at: string,
  where: { file: string; line?: number },
  problems: Problem[],
): KubeObject | undefined {
  const fail = (field: string | undefined, message: string) => {
    const located = field === undefined ? (at === '' ? undefined : at.slice(0, -1)) : at + field;
    problems.push({ ...where, ...(located ? { field: located } : {}), message });
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
