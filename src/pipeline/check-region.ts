/**
 * One region's check: render -> connect -> discover -> read live -> (dry-run) -> compare
 * -> ignore rules. Never throws: whatever goes wrong becomes this region's `error`, so the
 * other regions still complete and a region that could not be read is never "in sync".
 */
import { MrDriftError } from '../core/errors';
import { describeRef, objectKey, refOf, type KubeObject } from '../core/compare/kube-object';
import { compareFindings, compareRegion, type DesiredEntry } from '../core/compare/compare-region';
import { classifyOrigins, removedByPr } from '../core/compare/classify-origin';
import { appIdentity, identitySelectors, kindNeverExtra } from '../core/compare/extra-objects';
import { parseManagedFields, type ParsedEntry } from '../core/compare/managed-fields';
import { applyIsNoOp } from '../core/compare/apply-no-op';
import { assessRisks, refusalIsImmutable } from '../core/compare/assess-risks';
import { buildSkewDigest } from '../core/compare/skew-digest';
import { DEFAULT_FIELD_MANAGER, GITOPS_MANAGERS } from '../core/compare/managers';
import {
  scrubSecretValues,
  secretValueForms,
  type Fingerprint,
} from '../core/compare/secret-redaction';
import {
  comparableForm,
  settleNamespace,
  withEngineMetadata,
} from '../core/normalize/prepare-desired';
import { applyIgnoreRules, type IgnoreRule } from '../core/ignore/ignore-rules';
import type { ComparisonMode, RegionReport } from '../core/report/model';
import { isDriftFinding } from '../core/report/origin';
import type { SourcedObject } from '../adapters/desired/parse-manifests';
import { ContextProblem } from '../adapters/kube/cluster-access';
import { KubeApiError, KubeClient } from '../adapters/kube/kube-client';
import type { Kubeconfig } from '../adapters/kube/kubeconfig';
import {
  discoverResources,
  type ResourceCatalog,
  type ResourceType,
} from '../adapters/kube/discovery';
import { listObjects } from '../adapters/kube/read-live';
import { dryRunApply } from '../adapters/kube/dry-run-apply';
import type { CheckProgress } from './check-options';
import { count } from '../core/text/plural';

export interface RegionCheckInput {
  region: string;
  context: string;
  /** Renders this region's desired state (shared between regions when they share it). */
  render: () => Promise<SourcedObject[]>;
  /**
   * Renders the desired state at the pull request's base revision, to tell the PR's own
   * changes from drift. A failure is a warning: the region is then checked without origins.
   */
  renderBase?: () => Promise<SourcedObject[]>;
  kubeConfig: Kubeconfig;
  mode: ComparisonMode;
  /** Explicit dry-run field manager; otherwise detected per object, else argocd-controller. */
  fieldManager?: string;
  /** Dry-run every object, even those whose apply is provably a no-op. */
  fullDryRun?: boolean;
  rules: readonly IgnoreRule[];
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
  concurrency?: number;
  timeoutMs?: number;
  onProgress?: (event: CheckProgress) => void;
}

/** A failure of this region, with what to do about it. */
class RegionFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Planned {
  sourced: SourcedObject;
  entry: DesiredEntry;
  rt?: ResourceType;
}

/** Checks one region; see the module comment. */
export async function checkRegion(input: RegionCheckInput): Promise<RegionReport> {
  const { region } = input;
  const report: RegionReport = {
    name: region,
    context: input.context,
    status: 'in-sync',
    findings: [],
  };
  const warnings: string[] = [];
  const secrets: string[] = [];
  const step = (name: string, done?: number, total?: number) =>
    input.onProgress?.({
      kind: 'region-step',
      region,
      step: name,
      ...(done !== undefined ? { done, total } : {}),
    });
  input.onProgress?.({ kind: 'region-start', region });
  let opened: KubeClient | undefined;
  try {
    // Rendering (kustomize, YAML) and reaching the cluster overlap.
    step('render');
    const [rendered, reached, baseRendered] = await Promise.allSettled([
      input.render(),
      (async () => {
        step('connect');
        const client = await connect(input);
        opened = client;
        step('discover');
        const catalog = await guard(client, 'discover the API resources', () =>
          discoverResources(client),
        );
        return { client, catalog };
      })(),
      input.renderBase ? input.renderBase() : Promise.resolve(undefined),
    ]);
    // A broken manifest is the first thing to fix, so it wins over a cluster problem.
    if (rendered.status === 'rejected') throw rendered.reason;
    if (reached.status === 'rejected') throw reached.reason;
    const sourced = rendered.value;
    const { client, catalog } = reached.value;
    for (const s of sourced)
      if (s.object.kind === 'Secret') secrets.push(...secretValueForms(s.object));
    report.objects = sourced.length;
    warnings.push(...catalog.warnings);

    const planned = plan(sourced, catalog, client.namespace, warnings);
    let basePlanned: Planned[] | undefined;
    if (baseRendered.status === 'rejected') {
      warnings.push(
        `the base revision could not be rendered, so this PR's changes are not told apart from drift in this region: ${describeFailure(baseRendered.reason)}`,
      );
    } else if (baseRendered.value) {
      for (const s of baseRendered.value)
        if (s.object.kind === 'Secret') secrets.push(...secretValueForms(s.object));
      basePlanned = planBase(baseRendered.value, catalog, client.namespace);
    }
    const headKeys = new Set(planned.map((p) => objectKey(refOf(p.entry.manifest))));
    // Objects the PR removes are read too, so a removal is seen whatever their labels.
    const removed = (basePlanned ?? []).filter(
      (p) => !headKeys.has(objectKey(refOf(p.entry.manifest))),
    );

    step('read live');
    const { live, candidates } = await readLive(client, catalog, planned, warnings, step, removed);
    for (const obj of candidates) if (obj.kind === 'Secret') secrets.push(...secretValueForms(obj));

    const isApplier = (m: string) => m === input.fieldManager || GITOPS_MANAGERS.includes(m);
    // The engine's tracking labels/annotations are part of what it applies: add them to Git's side.
    for (const p of [...planned, ...(basePlanned ?? [])]) {
      const twin = live.get(objectKey(refOf(p.entry.manifest)));
      if (!twin) continue;
      const entries = parseManagedFields(twin.metadata.managedFields as never);
      p.entry.manifest = withEngineMetadata(p.entry.manifest, twin, entries, isApplier);
      p.entry.comparable = comparableForm(p.entry.manifest);
    }

    const predicted = new Map<string, KubeObject>();
    const objectErrors: string[] = [];
    const failedKeys = new Set<string>();
    // Objects whose dry-run the server refused because Git changes a field it cannot
    // update: a finding with the `immutable-field` risk, not an error (see below).
    const refused = new Map<string, string>();
    if (input.mode === 'server-side') {
      // Objects whose apply the server's own records prove to be a no-op need no dry-run
      // (see apply-no-op.ts); the rest go to the server.
      const targets: Array<{ p: Planned; key: string; manager: string }> = [];
      for (const p of planned) {
        const key = objectKey(refOf(p.entry.manifest));
        const twin = live.get(key);
        if (!p.rt || !twin) continue;
        const entries = parseManagedFields(twin.metadata.managedFields as never);
        const manager = input.fieldManager ?? detectManager(entries) ?? DEFAULT_FIELD_MANAGER;
        const applied = entries.find(
          (e) => e.manager === manager && e.operation === 'Apply' && !e.subresource,
        );
        if (!input.fullDryRun && applyIsNoOp(p.entry.manifest, twin, applied))
          predicted.set(key, twin);
        else targets.push({ p, key, manager });
      }
      let done = 0;
      step('dry-run', 0, targets.length);
      await Promise.all(
        targets.map(async ({ p, key, manager }) => {
          try {
            const res = await dryRunApply(client, p.rt!, p.entry.manifest, manager);
            predicted.set(key, res.object);
            for (const w of res.warnings)
              warnings.push(`${describeRef(refOf(p.entry.manifest))}: ${w}`);
          } catch (e) {
            if (
              e instanceof KubeApiError &&
              (e.status === 401 || e.status === 403 || e.status === 0)
            ) {
              throw accessFailure(e, 'run the server-side apply dry-run', client, true);
            }
            if (
              e instanceof KubeApiError &&
              e.status === 422 &&
              refusalIsImmutable(e.causes, e.message)
            ) {
              refused.set(key, `${describeRef(refOf(p.entry.manifest))}: ${e.message}`);
              step('dry-run', ++done, targets.length);
              return;
            }
            failedKeys.add(key);
            objectErrors.push(
              `${describeRef(refOf(p.entry.manifest))}: the server refused the dry-run apply (${e instanceof KubeApiError ? `${e.status} ${e.reason}: ${e.message}` : (e as Error).message})`,
            );
          }
          step('dry-run', ++done, targets.length);
        }),
      );
    }

    step('compare');
    const found = compareRegion({
      mode: input.mode,
      desired: planned.map((p) => p.entry),
      // An object the server refused to dry-run has no verdict; it is reported as an error.
      unjudged: failedKeys,
      compareReadOnly: new Set(refused.keys()),
      live,
      predicted,
      candidates,
      isApplier,
      isHandManager: input.isHandManager,
      fingerprint: input.fingerprint,
    });
    // A refusal the read-only comparison cannot explain stays an error: never silently in sync.
    for (const [key, message] of refused) {
      if (!found.some((f) => f.type === 'changed' && objectKey(f) === key))
        objectErrors.push(`${message.split('\n')[0]} (the server refused the dry-run apply)`);
    }
    const byKey = (list: Planned[]) =>
      new Map(list.map((p) => [objectKey(refOf(p.entry.manifest)), p.entry]));
    const versions = basePlanned
      ? { head: byKey(planned), base: byKey(basePlanned), live }
      : undefined;
    // Removals join before the ignore rules, which may hide them like any extra object.
    const all = versions
      ? [...found, ...removedByPr(found, versions)].sort(compareFindings)
      : found;
    const { findings: kept, ignored } = applyIgnoreRules(all, input.rules, region);
    const findings = versions
      ? classifyOrigins(kept, {
          ...versions,
          isApplier,
          isHandManager: input.isHandManager,
          fingerprint: input.fingerprint,
        })
      : kept;
    const liveByKey = new Map(live);
    for (const obj of candidates) liveByKey.set(objectKey(refOf(obj)), obj);
    report.findings = assessRisks(findings, input.mode, (f) => {
      const key = objectKey(f);
      const twin = liveByKey.get(key);
      return { ...(twin ? { live: twin } : {}), refusedAsImmutable: refused.has(key) };
    });
    if (ignored.length > 0) report.ignored = ignored;
    const digest = buildSkewDigest({
      compared: planned.flatMap((p) => {
        const key = objectKey(refOf(p.entry.manifest));
        const twin = live.get(key);
        return twin && !failedKeys.has(key) ? [{ desired: p.entry.comparable, live: twin }] : [];
      }),
      findings: report.findings,
      ignored,
    });
    if (digest.same !== '' || digest.differs.length > 0) report.skewDigest = digest;
    if (objectErrors.length > 0) {
      report.status = 'error';
      report.error = `${count(objectErrors.length, 'object')} could not be compared:\n${objectErrors.sort().join('\n')}`;
    } else {
      // The pull request's own changes are not drift: the cluster matches the base there.
      report.status = report.findings.some(isDriftFinding) ? 'drift' : 'in-sync';
    }
  } catch (e) {
    report.status = 'error';
    report.error = describeFailure(e);
  } finally {
    opened?.close();
  }
  if (warnings.length > 0) report.warnings = [...new Set(warnings)].sort();
  // Defence in depth: no message quoting a server or tool may carry a Secret value.
  if (report.error) report.error = scrubSecretValues(report.error, secrets);
  if (report.warnings) report.warnings = report.warnings.map((w) => scrubSecretValues(w, secrets));
  input.onProgress?.({ kind: 'region-done', region, status: report.status });
  return report;
}

function describeFailure(e: unknown): string {
  if (e instanceof RegionFailure || e instanceof MrDriftError) {
    return e.hint ? `${e.message}\nhint: ${e.hint}` : e.message;
  }
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}

async function connect(input: RegionCheckInput): Promise<KubeClient> {
  try {
    return await KubeClient.connect(input.kubeConfig, {
      context: input.context,
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
    });
  } catch (e) {
    if (e instanceof ContextProblem) throw new RegionFailure(e.message, e.hint);
    throw e;
  }
}

/** Node's error codes for a server certificate that does not verify (the server was reached). */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function accessFailure(
  e: KubeApiError,
  what: string,
  client: KubeClient,
  dryRun = false,
): RegionFailure {
  if (e.status === 0 && TLS_TRUST_CODES.has(e.reason)) {
    return new RegionFailure(
      `cannot ${what}: the server's TLS certificate is not trusted (${e.reason}: ${e.message})`,
      `The cluster answered, but its certificate does not verify against the certificate-authority in the kubeconfig. Check that the kubeconfig's certificate-authority(-data) belongs to this cluster and that the server address is the one the certificate was issued for.`,
    );
  }
  if (e.status === 0 && e.reason === 'Timeout') {
    return new RegionFailure(
      `cannot ${what}: ${e.message}`,
      'Check that the cluster is up and reachable (a firewall that drops packets looks like this), or raise --request-timeout if it is only slow.',
    );
  }
  if (e.status === 0) {
    return new RegionFailure(
      `cannot ${what}: ${e.message}`,
      'Check that the cluster is up and reachable, and that the kubeconfig context points at it.',
    );
  }
  if (e.status === 401) {
    return new RegionFailure(
      `the cluster rejected the credentials of user "${client.user}" (401 Unauthorized) while trying to ${what}`,
      'Refresh the credentials in the kubeconfig, or pick another context with --context REGION=CONTEXT.',
    );
  }
  return new RegionFailure(
    `permission denied (403 Forbidden) to ${what}: ${e.message}`,
    dryRun
      ? 'Server-side mode needs the `patch` verb on every kind in Git (the dry-run never writes, but RBAC cannot tell). Grant it, or run with --mode read-only, which needs only get/list.'
      : `The check needs get and list on every kind in Git and list on the others (to find extra objects); grant them to user "${client.user}".`,
  );
}

/** Runs a request group; unreachable/401/403 become this region's failure. */
async function guard<T>(client: KubeClient, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KubeApiError && (e.status === 0 || e.status === 401 || e.status === 403))
      throw accessFailure(e, what, client);
    if (e instanceof KubeApiError)
      throw new RegionFailure(
        `cannot ${what}: the server answered ${e.status} ${e.reason}: ${e.message}`,
      );
    throw e;
  }
}

/** Resolves each manifest's resource type and namespace; refuses duplicates. */
function plan(
  sourced: SourcedObject[],
  catalog: ResourceCatalog,
  defaultNamespace: string,
  warnings: string[],
): Planned[] {
  const out: Planned[] = [];
  const seen = new Map<string, SourcedObject>();
  const duplicates: string[] = [];
  for (const s of sourced) {
    const rt = catalog.find(s.object.apiVersion, s.object.kind);
    if (!rt)
      warnings.push(
        `${s.object.apiVersion} ${s.object.kind} is not served by the cluster (CRD not installed?): ${s.object.metadata.name} counts as missing`,
      );
    const manifest = settleNamespace(
      s.object,
      rt ? rt.namespaced : Boolean(s.object.metadata.namespace),
      defaultNamespace,
    );
    const key = objectKey(refOf(manifest));
    const before = seen.get(key);
    if (before) {
      duplicates.push(`${describeRef(refOf(manifest))} (${where(before)} and ${where(s)})`);
      continue;
    }
    seen.set(key, s);
    out.push({
      sourced: s,
      entry: { manifest, comparable: comparableForm(manifest), source: s.source },
      ...(rt ? { rt } : {}),
    });
  }
  if (duplicates.length > 0) {
    throw new RegionFailure(
      `the desired state defines ${duplicates.length === 1 ? 'an object' : 'objects'} twice: ${duplicates.join('; ')}`,
      'Each object may appear once per region; remove the duplicate.',
    );
  }
  return out;
}

/**
 * The base revision's objects, prepared like the head's. Never fails: the base is only
 * context (a duplicate there is the base's problem, not this check's), so the first wins.
 */
function planBase(
  sourced: SourcedObject[],
  catalog: ResourceCatalog,
  defaultNamespace: string,
): Planned[] {
  const out = new Map<string, Planned>();
  for (const s of sourced) {
    const rt = catalog.find(s.object.apiVersion, s.object.kind);
    const manifest = settleNamespace(
      s.object,
      rt ? rt.namespaced : Boolean(s.object.metadata.namespace),
      defaultNamespace,
    );
    const key = objectKey(refOf(manifest));
    if (out.has(key)) continue;
    out.set(key, {
      sourced: s,
      entry: { manifest, comparable: comparableForm(manifest) },
      ...(rt ? { rt } : {}),
    });
  }
  return [...out.values()];
}

function where(s: SourcedObject): string {
  return s.line ? `${s.source}:${s.line}` : s.source;
}

/** The GitOps engine that applied this object, from its managedFields. */
function detectManager(entries: readonly ParsedEntry[]): string | undefined {
  return (
    entries.find((e) => e.operation === 'Apply' && GITOPS_MANAGERS.includes(e.manager))?.manager ??
    entries.find((e) => GITOPS_MANAGERS.includes(e.manager))?.manager
  );
}

async function readLive(
  client: KubeClient,
  catalog: ResourceCatalog,
  planned: Planned[],
  warnings: string[],
  step: (name: string, done?: number, total?: number) => void,
  alsoRead: Planned[] = [],
): Promise<{ live: Map<string, KubeObject>; candidates: KubeObject[] }> {
  // One LIST per (type, namespace) holding desired objects (or objects `alsoRead` names).
  const lists = new Map<string, { rt: ResourceType; namespace?: string }>();
  for (const p of [...planned, ...alsoRead]) {
    if (!p.rt) continue;
    const ns = p.rt.namespaced ? p.entry.manifest.metadata.namespace : undefined;
    lists.set(`${p.rt.group}/${p.rt.version}/${p.rt.resource}/${ns ?? ''}`, {
      rt: p.rt,
      ...(ns ? { namespace: ns } : {}),
    });
  }

  // Extra objects: every kind users can create, filtered by the app's labels, in the
  // namespaces Git uses (namespaced kinds) or cluster-wide (cluster-scoped kinds). Kinds
  // listed in full above need no second look.
  const namespaces = [
    ...new Set(
      planned.flatMap((p) => (p.rt?.namespaced ? [p.entry.manifest.metadata.namespace!] : [])),
    ),
  ].sort();
  const searches: Array<{ rt: ResourceType; namespace?: string }> = [];
  const listed = new Set(
    [...lists.values()].map((l) => `${l.rt.group}|${l.rt.kind}|${l.namespace ?? ''}`),
  );
  for (const rt of catalog.preferred) {
    if (!rt.verbs.includes('list') || !rt.verbs.includes('create')) continue;
    if (kindNeverExtra(rt.group, rt.kind)) continue;
    const wanted = (ns: string) => !listed.has(`${rt.group}|${rt.kind}|${ns}`);
    if (!rt.namespaced) {
      if (wanted('')) searches.push({ rt });
    } else for (const ns of namespaces) if (wanted(ns)) searches.push({ rt, namespace: ns });
  }
  const candidates: KubeObject[] = [];
  const denied = new Set<string>();
  const search = (selectors: string[]) =>
    Promise.all(
      searches.flatMap(({ rt, namespace }) =>
        selectors.map(async (labelSelector) => {
          try {
            candidates.push(
              ...(await listObjects(client, rt, {
                labelSelector,
                ...(namespace ? { namespace } : {}),
              })),
            );
          } catch (e) {
            if (e instanceof KubeApiError && e.status === 0)
              throw accessFailure(e, 'list objects to find extra ones', client);
            const what = `${rt.resource}${rt.group ? `.${rt.group}` : ''}`;
            if (!denied.has(what))
              warnings.push(
                `could not look for extra ${what}: ${e instanceof KubeApiError ? `${e.status} ${e.reason}` : (e as Error).message}`,
              );
            denied.add(what);
          }
        }),
      ),
    );
  const live = new Map<string, KubeObject>();
  const jobs = [...lists.values()];
  let done = 0;
  // The LISTs first: the comparison waits for them, so they get the first request slots.
  const reading = guard(client, 'list the live objects', () =>
    Promise.all(
      jobs.map(async (j) => {
        const items = await listObjects(
          client,
          j.rt,
          j.namespace ? { namespace: j.namespace } : {},
        );
        for (const item of items) {
          live.set(objectKey(refOf(item)), item);
          candidates.push(item);
        }
        step('read live', ++done, jobs.length);
      }),
    ),
  );
  // The app's labels in Git are known before anything is read: that search runs alongside
  // the LISTs instead of after them.
  const manifests = planned.map((p) => p.entry.manifest);
  const fromGit = appIdentity(manifests, []);
  const early = search(identitySelectors(fromGit));
  // A failure of the early search is reported once the LISTs have settled.
  early.catch(() => undefined);
  await reading;

  // Labels the GitOps engine added to the live copies (Argo CD's instance label, Flux's
  // labels) identify the app too: a second search, only for those values.
  const twins = manifests
    .map((m) => live.get(objectKey(refOf(m))))
    .filter((o): o is KubeObject => o !== undefined);
  const later = identitySelectors(appIdentity(manifests, twins), fromGit);
  await Promise.all([early, search(later)]);
  return { live, candidates };
}
