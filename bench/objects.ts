/**
 * The objects the drift-check benchmarks apply (bench/check.ts, bench/scale.ts): the kinds
 * an app deploys, in fixed shares, and the hand changes made to them afterwards.
 */
export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

/**
 * `total` objects of the kinds an app deploys: with a namespace, that Namespace first and
 * everything in it; without one (`undefined`), no Namespace and no `metadata.namespace`, so
 * each object lands in the namespace of the context it is checked or applied with.
 */
export function manifests(namespace: string | undefined, app: string, total: number): Obj[] {
  const labels = { 'app.kubernetes.io/part-of': app };
  const meta = (name: string) => ({
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...labels, app: name },
  });
  const n = (share: number) => Math.floor(((total - 1) * share) / 100);
  const out: Obj[] = namespace
    ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } }]
    : [];
  for (let i = 0; i < n(20); i++) {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(`svc-${i}`),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: `svc-${i}` } },
        template: {
          metadata: { labels: { app: `svc-${i}` } },
          spec: {
            containers: [
              {
                name: 'app',
                image: `ghcr.io/example/svc:${i % 7}.0.0`,
                ports: [{ containerPort: 8080 }],
                env: [
                  { name: 'INDEX', value: String(i) },
                  { name: 'MODE', value: 'production' },
                ],
                resources: {
                  limits: { cpu: 1, memory: '512Mi' },
                  requests: { cpu: '100m', memory: '128Mi' },
                },
                readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
              },
              {
                name: 'proxy',
                image: 'envoyproxy/envoy:v1.31.0',
                ports: [{ containerPort: 9901 }],
              },
            ],
          },
        },
      },
    });
    // Headless: the test clusters' Service IP range is a /24 shared by everyone.
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`svc-${i}`),
      spec: {
        clusterIP: 'None',
        selector: { app: `svc-${i}` },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    });
  }
  for (let i = 0; i < n(25); i++)
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(`config-${i}`),
      data: { LOG_LEVEL: 'info', INDEX: String(i), 'app.yaml': `name: config-${i}\nreplicas: 2\n` },
    });
  for (let i = 0; i < n(15); i++)
    out.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(`secret-${i}`),
      stringData: { password: `bench-password-${i}` },
    });
  for (let i = 0; i < n(10); i++)
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`sa-${i}`) });
  for (let i = 0; i < n(5); i++) {
    out.push({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(`pdb-${i}`),
      spec: { minAvailable: 1, selector: { matchLabels: { app: `svc-${i}` } } },
    });
  }
  while (out.length < total) {
    const i = out.length;
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(`np-${i}`),
      spec: { podSelector: { matchLabels: { app: `svc-${i % 10}` } }, policyTypes: ['Ingress'] },
    });
  }
  return out;
}

/** The hand changes made in every region: value changes both tools can see. */
export function drift(namespace: string): string[][] {
  const changes: string[][] = [];
  for (let i = 0; i < 5; i++)
    changes.push([
      'set',
      'image',
      `deployment/svc-${i * 3}`,
      `app=ghcr.io/example/svc:9.9.${i}`,
      '-n',
      namespace,
    ]);
  for (let i = 0; i < 5; i++)
    changes.push([
      'patch',
      `configmap/config-${i * 7}`,
      '--type=merge',
      '-p',
      '{"data":{"LOG_LEVEL":"debug"}}',
      '-n',
      namespace,
    ]);
  for (let i = 0; i < 2; i++)
    changes.push(['scale', `deployment/svc-${i * 5 + 1}`, '--replicas=4', '-n', namespace]);
  return changes;
}

/** `kind/name` of the objects {@link drift} changes, sorted. */
export function driftedObjects(namespace = 'x'): string[] {
  const names = new Set<string>();
  for (const change of drift(namespace)) {
    const target = change[0] === 'set' ? change[2] : change[1];
    const [resource, name] = target.split('/');
    names.add(`${resource === 'deployment' ? 'Deployment' : 'ConfigMap'}/${name}`);
  }
  return [...names].sort();
}
