/**
 * Plain-JSON Kubernetes objects as the drift engine sees them: exactly what the API server
 * sent (or what the manifest says), never passed through typed client models, which drop
 * unknown fields and turn timestamps into Dates.
 */
import type { ObjectRef } from '../report/model';

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object (map). */
export type JsonObject = { [key: string]: Json };

/** One managedFields entry, as the server returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonObject;
  subresource?: string;
}

/** A Kubernetes object: apiVersion, kind and metadata.name are always present. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** An object from Git, with the file it came from. */
export interface SourcedObject {
  object: KubeObject;
  /** Repo-relative (or as given) path of the file or kustomization. */
  source: string;
  /** 1-based line of the document in that file, when it is a plain YAML file. */
  line?: number;
}

/** True for a non-null, non-array object. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** API group of an apiVersion: `apps/v1` -> `apps`, `v1` -> `` (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Identity of an object across API versions: group, kind, namespace, name. Two manifests
 * for `apps/v1` and `apps/v1beta2` of the same Deployment are the same object.
 */
export function objectKey(o: {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}): string {
  return `${groupOf(o.apiVersion)}|${o.kind}|${o.namespace ?? ''}|${o.name}`;
}

/** Reference (apiVersion, kind, namespace, name) of an object. */
export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** `Deployment alfred/api` or `ClusterRole reader`: how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Deep structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A deep copy of a JSON value (structuredClone keeps it plain and is fast in Node 20). */
export function cloneJson<T>(v: T): T {
  return structuredClone(v);
}
