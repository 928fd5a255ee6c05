/**
 * A region's skew digest: for each object compared in the region, Git's and the live
 * values of a bounded set of fields, recorded in the region's report so that skew between
 * regions (core/report/skew.ts) can be computed from reports made by separate jobs.
 *
 * Which fields: the image of every container of a pod template (what runs), every key of
 * a ConfigMap (how it is configured), and every field of this region's own findings. Whole
 * objects are never copied, and Secrets are left out altogether: their fingerprints are
 * keyed per run, so they could not be compared across jobs anyway.
 *
 * Compact: a field whose live value is Git's is one 8-character fingerprint; only fields
 * whose live value differs carry both values. A field whose difference the pull request
 * itself explains (origin `pr`: the cluster still runs the base's value, which the merge
 * replaces) is left out, so it never shows as skew.
 */
import { groupOf, isJsonObject, objectKey, refOf, type Json, type KubeObject } from './kube-object';
import { formatPath, formatSegment } from './field-path';
import { isSecret } from './secret-redaction';
import { encodeSkewValue, skewFingerprint } from '../report/skew';
import type { Finding, IgnoredField, SkewDigest, SkewDigestField } from '../report/model';

/** Where a kind keeps its pod spec (besides `spec.template.spec`, which most workloads use). */
const POD_SPEC_PATHS: ReadonlyArray<readonly string[]> = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
];

function at(obj: Json | undefined, path: readonly string[]): Json | undefined {
  let cur = obj;
  for (const p of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Image of each container (and init container) of the object's pod template, by path. */
function imageFields(
  desired: KubeObject,
  live: KubeObject,
): Map<string, [Json | undefined, Json | undefined]> {
  const out = new Map<string, [Json | undefined, Json | undefined]>();
  const podPaths =
    desired.kind === 'Pod' && groupOf(desired.apiVersion) === ''
      ? [['spec'] as const]
      : POD_SPEC_PATHS;
  for (const base of podPaths) {
    for (const list of ['initContainers', 'containers']) {
      const images = (obj: KubeObject) => {
        const items = at(obj, [...base, list]);
        const byName = new Map<string, Json | undefined>();
        if (Array.isArray(items))
          for (const c of items)
            if (isJsonObject(c) && typeof c.name === 'string') byName.set(c.name, c.image);
        return byName;
      };
      const d = images(desired);
      const l = images(live);
      if (d.size === 0 && l.size === 0) continue;
      const prefix = formatPath([...base.map((field) => ({ field })), { field: list }]);
      for (const name of new Set([...d.keys(), ...l.keys()]))
        out.set(`${prefix}/${formatSegment({ key: { name } })}/image`, [d.get(name), l.get(name)]);
    }
  }
  return out;
}

/** Every key of a ConfigMap's `data` and `binaryData`, by path. */
function configMapFields(
  desired: KubeObject,
  live: KubeObject,
): Map<string, [Json | undefined, Json | undefined]> {
  const out = new Map<string, [Json | undefined, Json | undefined]>();
  for (const field of ['data', 'binaryData']) {
    const d = isJsonObject(desired[field]) ? desired[field] : {};
    const l = isJsonObject(live[field]) ? live[field] : {};
    for (const key of new Set([...Object.keys(d), ...Object.keys(l)]))
      out.set(formatPath([{ field }, { field: key }]), [d[key], l[key]]);
  }
  return out;
}

/** True when `a` is `b` or lies below it, or the other way round (report paths). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

export interface SkewDigestInput {
  /** Each object compared in the region: Git's version (as the server returns it) and live. */
  compared: ReadonlyArray<{ desired: KubeObject; live: KubeObject }>;
  /** The region's findings, after ignore rules (and origins, with a base revision). */
  findings: readonly Finding[];
  /** What ignore rules hid in the region: hidden there, so not compared across regions. */
  ignored: readonly IgnoredField[];
}

/** Builds a region's skew digest; `differs` in a stable order (object, then path). */
export function buildSkewDigest(input: SkewDigestInput): SkewDigest {
  const findings = new Map<string, Finding>();
  for (const f of input.findings) if (f.type === 'changed') findings.set(objectKey(f), f);
  const hidden = new Map<string, string[]>();
  for (const i of input.ignored) {
    const key = objectKey(i);
    hidden.set(key, [...(hidden.get(key) ?? []), i.path]);
  }

  const same: string[] = [];
  const differs: SkewDigestField[] = [];
  for (const { desired, live } of input.compared) {
    if (isSecret(desired)) continue;
    const key = objectKey(refOf(desired));
    const hiddenPaths = hidden.get(key) ?? [];
    if (hiddenPaths.includes('')) continue;

    const values = new Map<string, [Json | undefined, Json | undefined]>(
      imageFields(desired, live),
    );
    if (desired.kind === 'ConfigMap' && desired.apiVersion === 'v1')
      for (const [p, v] of configMapFields(desired, live)) values.set(p, v);
    const byPr: string[] = [];
    for (const d of findings.get(key)?.fields ?? []) {
      if (d.redacted) continue;
      if (d.origin === 'pr') byPr.push(d.path);
      else values.set(d.path, [d.desired as Json | undefined, d.live as Json | undefined]);
    }

    const ref = refOf(desired);
    for (const path of [...values.keys()].sort()) {
      if (hiddenPaths.some((h) => overlaps(h, path))) continue;
      // The cluster still runs what the base said and the merge changes it: not skew.
      if (byPr.some((p) => overlaps(p, path))) continue;
      const [gitValue, liveValue] = values.get(path)!;
      const git = encodeSkewValue(gitValue);
      const actual = encodeSkewValue(liveValue);
      if (git.key === actual.key) same.push(skewFingerprint(ref, path, git.key));
      else differs.push({ ...ref, path, desired: git.value, live: actual.value });
    }
  }
  const order = (f: SkewDigestField) => [groupOf(f.apiVersion), f.kind, f.namespace ?? '', f.name];
  differs.sort((a, b) => {
    const ka = order(a);
    const kb = order(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  });
  return { same: same.sort().join(''), differs };
}
