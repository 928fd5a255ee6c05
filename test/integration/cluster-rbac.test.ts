import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  kubectlJson,
  regionApi,
  regions,
  type UserName,
} from '../cluster/testing';

/**
 * The two restricted identities of every region, proven on the real RBAC authorizer with
 * the ClusterRoles shipped in deploy/rbac/:
 * - readonly: reads everything (Secrets too), writes nothing;
 * - drift-checker: reads everything and may send server-side apply dry-runs, nothing else.
 */

interface Meta {
  metadata: { resourceVersion: string; name: string };
  data?: Record<string, string>;
}

const FIELD_MANAGER = 'argocd-controller';

const configMap = (ns: string, name: string, value: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { key: value },
  });

const deployment = (ns: string, image: string): string =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image, resources: { requests: { cpu: '0.5', memory: '64Mi' } } },
          ],
        },
      },
    },
  });

const appSet = (ns: string, path: string): string =>
  JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: 'alfred', namespace: ns },
    spec: {
      generators: [{ list: { elements: [{ region: 'us-east' }] } }],
      template: {
        metadata: { name: 'alfred-{{region}}' },
        spec: {
          project: 'default',
          source: { repoURL: 'https://example.invalid/alfred.git', path, targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'alfred' },
        },
      },
    },
  });

/** Runs kubectl as `user` and returns the error text (the command must fail). */
async function refused(
  region: string,
  user: UserName,
  args: string[],
  input?: string,
): Promise<string> {
  const err = await kubectl(region, args, { user, ...(input !== undefined ? { input } : {}) }).then(
    (out) => new Error(`expected kubectl ${args.join(' ')} as ${user} to be refused, got: ${out}`),
    (e: unknown) => e as Error,
  );
  if (!/Forbidden|forbidden/.test(err.message)) throw err;
  return err.message;
}

describeCluster('RBAC of the test users', () => {
  const region = 'eu-west';
  let ns = '';

  beforeAll(async () => {
    ns = await freshNamespace('rbac', [region]);
    await kubectl(
      region,
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
      {
        input: [
          configMap(ns, 'settings', 'one'),
          deployment(ns, 'nginx:1.27'),
          appSet(ns, 'overlays/a'),
        ].join('\n'),
      },
    );
    await kubectl(
      region,
      ['create', 'secret', 'generic', 'creds', '--from-literal=token=s3cr3t-value'],
      {
        namespace: ns,
      },
    );
  });
  afterAll(async () => {
    if (!ns) return;
    // Objects first: a namespace is never emptied here (no namespace controller).
    await kubectl(
      region,
      ['delete', 'configmap/settings', 'deployment/web', 'applicationset/alfred', 'secret/creds'],
      {
        namespace: ns,
      },
    );
    await dropNamespace(ns, [region]);
  });

  it.each(regions())(
    '%s: both users read every kind, Secrets included, cluster-wide',
    async (r) => {
      for (const user of ['readonly', 'drift-checker'] as const) {
        for (const what of [
          'secrets',
          'configmaps',
          'deployments.apps',
          'applicationsets.argoproj.io',
        ]) {
          expect(
            await kubectl(r, ['auth', 'can-i', 'list', what, '--all-namespaces'], { user }),
          ).toBe('yes\n');
        }
        expect(
          await kubectl(r, ['auth', 'can-i', 'get', 'customresourcedefinitions'], { user }),
        ).toBe('yes\n');
        expect(await kubectl(r, ['auth', 'can-i', 'get', 'clusterroles'], { user })).toBe('yes\n');
      }
    },
  );

  it('readonly: get, list and watch work, including Secret contents', async () => {
    const secret = await kubectlJson<Meta>(region, ['get', 'secret', 'creds'], {
      user: 'readonly',
      namespace: ns,
    });
    expect(secret.data?.token).toBe(Buffer.from('s3cr3t-value').toString('base64'));
    const list = await kubectlJson<{ items: Meta[] }>(
      region,
      ['get', 'configmaps,deployments,applicationsets'],
      {
        user: 'readonly',
        namespace: ns,
      },
    );
    // Less kube-root-ca.crt, which the controller-manager adds to every namespace in its own time.
    const names = list.items.map((i) => i.metadata.name).filter((n) => n !== 'kube-root-ca.crt');
    expect(names.sort()).toEqual(['alfred', 'settings', 'web']);
    // A real watch request: the server streams and then closes after timeoutSeconds.
    const api = regionApi(region, 'readonly');
    try {
      const watch = await api.request(
        'GET',
        `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=1`,
      );
      expect(watch.status).toBe(200);
      expect(watch.body).toContain('"type":"ADDED"');
    } finally {
      api.close();
    }
  });

  it('readonly: every write is refused with 403 and nothing changes', async () => {
    const before = await kubectlJson<Meta>(region, ['get', 'configmap', 'settings'], {
      namespace: ns,
    });
    const n = ['--namespace', ns];
    expect(await refused(region, 'readonly', ['create', 'configmap', 'new', ...n])).toMatch(
      /User "readonly" cannot create resource "configmaps"/,
    );
    await refused(
      region,
      'readonly',
      ['apply', '--server-side', '-f', '-'],
      configMap(ns, 'settings', 'two'),
    );
    await refused(
      region,
      'readonly',
      ['apply', '--server-side', '--dry-run=server', '-f', '-'],
      configMap(ns, 'settings', 'two'),
    );
    await refused(region, 'readonly', [
      'patch',
      'configmap',
      'settings',
      ...n,
      '-p',
      '{"data":{"key":"x"}}',
    ]);
    await refused(region, 'readonly', ['delete', 'configmap', 'settings', ...n]);
    await refused(region, 'readonly', ['create', 'namespace', `${ns}-x`]);
    const after = await kubectlJson<Meta>(region, ['get', 'configmap', 'settings'], {
      namespace: ns,
    });
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.data).toEqual({ key: 'one' });
  });

  it('drift-checker: holds exactly get, list and patch (server-side apply dry-run)', async () => {
    const api = regionApi(region, 'drift-checker');
    try {
      const res = await api.request(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
        JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace: ns },
        }),
      );
      expect(res.status).toBe(201);
      const rules = (
        JSON.parse(res.body) as {
          status: {
            resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[] }[];
          };
        }
      ).status.resourceRules;
      // Besides the self-review APIs every authenticated user has, one rule: ours.
      const ownRules = rules.filter(
        (r) =>
          !(r.apiGroups ?? []).some(
            (g) => g.startsWith('authorization.k8s.io') || g.startsWith('authentication.k8s.io'),
          ),
      );
      expect(ownRules).toEqual([
        { verbs: ['get', 'list', 'patch'], apiGroups: ['*'], resources: ['*'] },
      ]);
    } finally {
      api.close();
    }
  });

  it('drift-checker: dry-runs server-side apply of built-in and custom objects without changing them', async () => {
    const before = await kubectlJson<{ items: Meta[] }>(
      region,
      ['get', 'configmaps,deployments,applicationsets'],
      {
        namespace: ns,
      },
    );
    const changed = [
      configMap(ns, 'settings', 'two'),
      deployment(ns, 'nginx:1.28'),
      appSet(ns, 'overlays/b'),
    ].join('\n');
    const out = await kubectl(
      region,
      [
        'apply',
        '--server-side',
        '--dry-run=server',
        `--field-manager=${FIELD_MANAGER}`,
        '-o',
        'json',
        '-f',
        '-',
      ],
      { user: 'drift-checker', input: changed },
    );
    const predicted = (
      JSON.parse(out) as { items: { kind: string; spec?: unknown; data?: unknown }[] }
    ).items;
    // The server merged and defaulted each object (the Deployment gained its defaults).
    expect(predicted.map((o) => o.kind).sort()).toEqual([
      'ApplicationSet',
      'ConfigMap',
      'Deployment',
    ]);
    expect(JSON.stringify(predicted)).toContain('nginx:1.28');
    expect(JSON.stringify(predicted)).toContain('"revisionHistoryLimit":10');
    const after = await kubectlJson<{ items: Meta[] }>(
      region,
      ['get', 'configmaps,deployments,applicationsets'],
      {
        namespace: ns,
      },
    );
    expect(after.items.map((i) => i.metadata.resourceVersion)).toEqual(
      before.items.map((i) => i.metadata.resourceVersion),
    );
  });

  it('drift-checker: everything else is refused with 403', async () => {
    const n = ['--namespace', ns];
    await refused(region, 'drift-checker', ['create', 'configmap', 'new', ...n]);
    await refused(region, 'drift-checker', ['delete', 'configmap', 'settings', ...n]);
    await refused(region, 'drift-checker', ['delete', 'configmaps', '--all', ...n]);
    await refused(
      region,
      'drift-checker',
      ['replace', '-f', '-'],
      configMap(ns, 'settings', 'two'),
    );
    await refused(region, 'drift-checker', ['create', 'namespace', `${ns}-x`]);
    await refused(region, 'drift-checker', [
      'create',
      'clusterrolebinding',
      `${ns}-escalate`,
      '--clusterrole=cluster-admin',
      '--user=drift-checker',
    ]);
    await refused(region, 'drift-checker', ['get', 'configmaps', '--as=mr-drift-admin', ...n]);
    // A dry-run of an object that does not exist yet would need `create`: the check
    // reports such objects as missing from its read and sends no dry-run for them.
    await refused(
      region,
      'drift-checker',
      ['apply', '--server-side', '--dry-run=server', '-f', '-'],
      configMap(ns, 'not-there', 'x'),
    );
    const api = regionApi(region, 'drift-checker');
    try {
      const watch = await api.request(
        'GET',
        `/api/v1/namespaces/${ns}/configmaps?watch=1&timeoutSeconds=1`,
      );
      expect(watch.status).toBe(403);
    } finally {
      api.close();
    }
  });

  it('drift-checker: a real (non-dry-run) patch is allowed, as the role documents', async () => {
    // RBAC has no "dry-run only" verb; deploy/rbac/drift-checker.yaml warns about this.
    // This test keeps that warning true: if it ever fails, update the docs.
    await kubectl(
      region,
      ['patch', 'configmap', 'settings', '--namespace', ns, '-p', '{"data":{"key":"patched"}}'],
      {
        user: 'drift-checker',
      },
    );
    const after = await kubectlJson<Meta>(region, ['get', 'configmap', 'settings'], {
      namespace: ns,
    });
    expect(after.data).toEqual({ key: 'patched' });
  });
});
