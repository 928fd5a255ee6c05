/**
 * Proves, from the server's own records, that applying a manifest would change nothing, so
 * server-side mode can skip that object's dry-run (the dry-run would return the live object
 * unchanged, and `kubectl diff --server-side` would show nothing for it).
 *
 * The proof: the GitOps applier's last Apply entry in managedFields lists exactly the
 * fields the manifest sets (same fields, same keyed list items, same set members), and
 * every value the manifest sets is already live: byte for byte, except resource
 * quantities, which the server stores canonically (`1024Mi` is applied as `1Gi`).
 *
 * Why that suffices: a forced apply by the same manager sets the manifest's fields (values
 * already equal), removes only fields that manager owned and no longer applies (none: the
 * sets are equal), and leaves everyone else's fields alone. Anything not provable this way
 * (a changed or missing value, a different field set, `null`, int-or-string spelled
 * differently, another apiVersion) is sent to the server as usual. Secret `stringData`, which
 * the server never returns, is checked against `data`.
 * One thing only the real dry-run sees: a mutating webhook that would now change the
 * object differently than at the last sync (`--full-dry-run` covers that).
 */
import {
  isJsonObject,
  jsonEqual,
  type Json,
  type JsonObject,
  type KubeObject,
} from './kube-object';
import { itemMatchesKey } from './field-path';
import { isLeaf, type FieldsNode, type ParsedEntry } from './managed-fields';
import { quantitiesEqual } from '../normalize/quantity';

/** Parent field names under which the server canonicalises quantities. */
const QUANTITY_PARENTS = new Set(['limits', 'requests', 'hard', 'capacity', 'overhead']);

/** True when applying `manifest` as `entry.manager` is provably a no-op on `live`. */
export function applyIsNoOp(
  manifest: KubeObject,
  live: KubeObject,
  entry: ParsedEntry | undefined,
): boolean {
  if (!entry || entry.operation !== 'Apply' || entry.subresource) return false;
  if (entry.apiVersion !== undefined && entry.apiVersion !== manifest.apiVersion) return false;
  // Identity fields are not part of an applied field set.
  const body: JsonObject = { ...manifest };
  delete body.apiVersion;
  delete body.kind;
  const meta: JsonObject = { ...manifest.metadata };
  delete meta.name;
  delete meta.namespace;
  if (Object.keys(meta).length > 0) body.metadata = meta;
  else delete body.metadata;
  let root = entry.root;
  // stringData is write-only: the server folds it into data. Check it against data.
  if (manifest.kind === 'Secret' && manifest.apiVersion === 'v1' && body.stringData !== undefined) {
    const node = root.children.find((c) => c.kind === 'field' && c.name === 'stringData');
    if (!node || !stringDataApplied(manifest, live, node.node)) return false;
    delete body.stringData;
    root = { ...root, children: root.children.filter((c) => c !== node) };
  }
  return matches(body, root, live, '', '');
}

/** True when the applied stringData keys are exactly the manifest's and data holds their values. */
function stringDataApplied(manifest: KubeObject, live: KubeObject, node: FieldsNode): boolean {
  const sd = manifest.stringData;
  if (!isJsonObject(sd)) return false;
  const keys = Object.keys(sd);
  const data = isJsonObject(live.data) ? live.data : {};
  const own = isJsonObject(manifest.data) ? manifest.data : {};
  if (node.children.length !== keys.length) return false;
  return keys.every((k) => {
    const child = node.children.find((c) => c.kind === 'field' && c.name === k);
    const v = sd[k];
    return (
      child !== undefined &&
      isLeaf(child.node) &&
      !(k in own) &&
      typeof v === 'string' &&
      data[k] === Buffer.from(v, 'utf8').toString('base64')
    );
  });
}

/** `name`: field name of `d`; `container`: field name of the object holding it. */
function matches(
  d: Json,
  node: FieldsNode,
  l: Json | undefined,
  name: string,
  container: string,
): boolean {
  if (d === null || l === undefined) return false;
  if (isJsonObject(d)) {
    if (!isJsonObject(l)) return false;
    // An atomic map or struct (a label selector ...) is owned whole: equal whole.
    if (isLeaf(node)) return jsonEqual(d, l);
    const keys = Object.keys(d);
    if (node.children.some((c) => c.kind !== 'field') || node.children.length !== keys.length)
      return false;
    return keys.every((k) => {
      const child = node.children.find((c) => c.kind === 'field' && c.name === k);
      return child !== undefined && matches(d[k], child.node, l[k], k, name);
    });
  }
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) return false;
    // Atomic list: owned whole, must be equal whole.
    if (isLeaf(node)) return jsonEqual(d, l);
    if (node.children.length !== d.length) return false;
    if (node.children.every((c) => c.kind === 'value')) {
      return d.every(
        (v) =>
          node.children.some((c) => c.kind === 'value' && jsonEqual(c.value, v)) &&
          l.some((x) => jsonEqual(x, v)),
      );
    }
    return d.every((item) => {
      const owned = node.children.filter((c) => c.kind === 'key' && itemMatchesKey(item, c.key));
      if (owned.length !== 1 || owned[0].kind !== 'key') return false;
      const key = owned[0].key;
      const liveItems = l.filter((x) => itemMatchesKey(x, key));
      return liveItems.length === 1 && matches(item, owned[0].node, liveItems[0], name, container);
    });
  }
  if (!isLeaf(node)) return false;
  if (d === l) return true;
  return QUANTITY_PARENTS.has(container) && typeof l === 'string' && quantitiesEqual(d, l);
}
