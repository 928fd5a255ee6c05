import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findKustomize,
  hideQuotedValues,
  kustomizeMessage,
  renderKustomization,
} from '../../src/adapters/kustomize';
import { RenderError, ToolMissingError } from '../../src/core/errors';
import { parseObjects, validateObject, type KubeObject } from '../golden/validate-objects';

/**
 * Every golden tree (and the committed overlays/) is built with the real kustomize
 * (`kustomize build` or `kubectl kustomize`), and every object it yields is validated
 * against its schema. There is no skip: without the tool these tests fail.
 */
const goldenRoot = join(import.meta.dirname, '../golden');
const trees: [string, string][] = [
  ['overlays (committed)', join(import.meta.dirname, '../../overlays')],
  ...readdirSync(goldenRoot)
    .filter((d) => existsSync(join(goldenRoot, d, 'expected')))
    .sort()
    .map((d): [string, string] => [d, join(goldenRoot, d, 'expected')]),
];

describe.each(trees)('%s', (_name, root) => {
  const regions = readdirSync(join(root, 'regions')).sort();

  it.each(regions)('region %s builds, and every object is valid and labelled', async (region) => {
    const objects = parseObjects(await renderKustomization(join(root, 'regions', region)));
    expect(objects.length).toBeGreaterThan(10);
    const problems = objects.flatMap(validateObject);
    expect(problems).toEqual([]);

    const ns = objects.find((o) => o.kind === 'Namespace');
    expect(ns, 'the overlay creates its namespace').toBeDefined();
    for (const o of objects) {
      const labels = o.metadata.labels ?? {};
      expect(labels['app.kubernetes.io/part-of'], `${o.kind}/${o.metadata.name}`).toBe(
        labels['app.kubernetes.io/name'],
      );
      expect(labels['app.kubernetes.io/component'], `${o.kind}/${o.metadata.name}`).toBeTruthy();
      expect(labels['mr-drift.io/region'], `${o.kind}/${o.metadata.name}`).toBe(region);
      if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(ns?.metadata.name);
    }

    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-api'));
    const container = (api?.spec as DeploymentSpec).template.spec.containers[0];
    expect(container.env.find((e) => e.name === 'REGION')?.value).toBe(region);
    expect(container.readinessProbe).toBeDefined();
    expect(container.livenessProbe).toBeDefined();

    for (const svc of objects.filter(
      (o) => o.kind === 'Service' && /-db-shard-\d+$/.test(o.metadata.name),
    )) {
      const n = /-db-shard-(\d+)$/.exec(svc.metadata.name)![1];
      const spec = svc.spec as {
        selector?: Record<string, string>;
        type?: string;
        ports: { port: number }[];
      };
      expect(spec.ports.map((p) => p.port)).toEqual([5432]);
      if (spec.type === 'ExternalName') expect(spec.selector).toBeUndefined();
      else if (
        objects.some((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io/'))
      )
        // CloudNativePG runs several instances per shard: the Service picks the writer.
        expect(spec.selector).toEqual({ shard: `db-${n}`, 'cnpg.io/instanceRole': 'primary' });
      else expect(spec.selector).toEqual({ shard: `db-${n}` });
    }
    // No Secret is ever generated: credentials are referenced by name only.
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);

    // What kustomize really builds leaves the replicas of every HPA target to the HPA (Git
    // and the autoscaler would otherwise fight at every sync), and keeps them on the
    // workloads no HPA scales (DB shards, cache).
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.length).toBeGreaterThan(0);
    const targeted = new Set<KubeObject>();
    for (const hpa of hpas) {
      const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      const target = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
      expect(target, `target of HPA ${hpa.metadata.name}`).toBeDefined();
      expect((target!.spec as { replicas?: number }).replicas, `${ref.kind}/${ref.name}`).toBe(
        undefined,
      );
      targeted.add(target!);
    }
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
    for (const w of workloads.filter((o) => !targeted.has(o))) {
      expect((w.spec as { replicas?: number }).replicas, `${w.kind}/${w.metadata.name}`).toEqual(
        expect.any(Number),
      );
    }
  });

  it('the GitOps folder builds, and every Argo CD / Flux object is valid against its CRD', async () => {
    const dirs = ['argocd', 'flux']
      .filter((d) => existsSync(join(root, d)))
      .flatMap((d) =>
        existsSync(join(root, d, 'kustomization.yaml'))
          ? [join(root, d)]
          : readdirSync(join(root, d)).map((r) => join(root, d, r)),
      );
    expect(dirs.length).toBeGreaterThan(0);
    const objects: KubeObject[] = [];
    for (const dir of dirs) objects.push(...parseObjects(await renderKustomization(dir)));
    expect(objects.flatMap(validateObject)).toEqual([]);
    for (const o of objects) {
      expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBeTruthy();
    }
    const kinds = new Set(objects.map((o) => o.kind));
    if (kinds.has('ApplicationSet')) {
      expect([...kinds].sort()).toEqual(['AppProject', 'ApplicationSet']);
      const appset = objects.find((o) => o.kind === 'ApplicationSet')!;
      const spec = appset.spec as AppSetSpec;
      expect(spec.strategy.type).toBe('RollingSync');
      const waveKeys = spec.strategy.rollingSync.steps.map((s) => s.matchExpressions[0].key);
      expect(new Set(waveKeys)).toEqual(new Set(['mr-drift.io/wave']));
      expect(spec.template.metadata.labels['mr-drift.io/wave']).toBe('{{.wave}}');
      // Each step selects one wave, in order 1..N, and every element names an existing wave.
      const steps = spec.strategy.rollingSync.steps.map((s) => s.matchExpressions[0].values);
      expect(steps).toEqual(steps.map((_v, i) => [String(i + 1)]));
      for (const el of spec.generators[0].list.elements) {
        expect(Number(el.wave)).toBeGreaterThanOrEqual(1);
        expect(Number(el.wave)).toBeLessThanOrEqual(steps.length);
        expect(existsSync(join(root, 'regions', el.region, 'kustomization.yaml'))).toBe(true);
      }
    } else {
      // With External Secrets in the hub layout, each region's kubeconfig Secret comes from
      // an ExternalSecret next to its Kustomization.
      const expectedKinds = ['GitRepository', 'Kustomization'];
      if (kinds.has('ExternalSecret')) expectedKinds.unshift('ExternalSecret');
      expect([...kinds].sort()).toEqual(expectedKinds);
      for (const es of objects.filter((o) => o.kind === 'ExternalSecret')) {
        const region = es.metadata.labels!['mr-drift.io/region'];
        const sync = objects.find(
          (o) => o.kind === 'Kustomization' && o.metadata.labels!['mr-drift.io/region'] === region,
        )!;
        const ref = (sync.spec as { kubeConfig?: { secretRef: { name: string } } }).kubeConfig;
        expect(ref?.secretRef.name, `kubeconfig of ${region}`).toBe(
          (es.spec as { target: { name: string } }).target.name,
        );
      }
      const syncs = objects.filter((o) => o.kind === 'Kustomization');
      expect(syncs.length).toBe(regions.length);
      for (const k of syncs) {
        const spec = k.spec as FluxSpec;
        expect(spec.prune).toBe(true);
        expect(spec.healthChecks.length).toBeGreaterThan(0);
        const region = k.metadata.labels!['mr-drift.io/region'];
        expect(spec.path.endsWith(`/regions/${region}`)).toBe(true);
      }
    }
    // The first Argo CD tree compiles the ApplicationSet CRD schema (about 1 MB): tens of
    // seconds when the machine is busy.
  }, 120_000);
});

describe('renderKustomization', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-drift-kustomize-'));
  });
  afterAll(() => {
    // temp folder left for the OS; it holds only two tiny files
  });

  it('uses kustomize or kubectl from PATH', () => {
    expect(['kustomize', 'kubectl']).toContain(findKustomize().command);
  });

  it('fails with RenderError naming the folder and quoting kustomize', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
    const err = await renderKustomization(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toContain('missing.yaml');
    // kustomize's own words, without kubectl's log prefix (`E1126 ... run.go:72] "command failed" err=`)
    expect((err as Error).message).toMatch(/failed:\n {2}accumulating resources: /);
    expect((err as Error).message).not.toMatch(/run\.go|command failed|err="/);
  });

  it('keeps only what kustomize said from a kubectl log line or an `Error:` prefix', () => {
    expect(
      kustomizeMessage(
        'E1126 11:42:01.478376   23952 run.go:72] "command failed" err="accumulating resources from \'x.yaml\': MalformedYAMLError: yaml: line 7: \\"bad\\" value"\n',
      ),
    ).toBe('accumulating resources from \'x.yaml\': MalformedYAMLError: yaml: line 7: "bad" value');
    expect(kustomizeMessage('Error: no such file kustomization.yaml\n')).toBe(
      'no such file kustomization.yaml',
    );
  });

  it('never quotes a generator literal or YAML content that may be a secret', async () => {
    // A secretGenerator literal without `key=`: kustomize's message quotes the value.
    const literal = join(dir, 'bad-literal');
    mkdirSync(literal);
    writeFileSync(
      join(literal, 'kustomization.yaml'),
      'secretGenerator:\n  - name: db\n    literals: [hunter2-leaky-literal]\n',
    );
    // A Secret whose value is not valid YAML: kustomize's message quotes it as a map key.
    const yaml = join(dir, 'bad-yaml');
    mkdirSync(yaml);
    writeFileSync(join(yaml, 'kustomization.yaml'), 'resources: [secret.yaml]\n');
    writeFileSync(
      join(yaml, 'secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  password: {{ leaky-yaml-value }}\n',
    );
    for (const [folder, value] of [
      [literal, 'hunter2-leaky-literal'],
      [yaml, 'leaky-yaml-value'],
    ] as const) {
      const err = await renderKustomization(folder).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RenderError);
      const message = (err as Error).message;
      expect(message).toContain(folder);
      expect(message).toContain('(hidden: may be a secret)');
      expect(message).not.toContain(value);
    }
  });

  it('hides the quoting shapes of kustomize and Go YAML errors, and nothing else', () => {
    const cases: Array<[string, string]> = [
      [
        'loading KV pairs: literal sources [=hunter2]: invalid literal source =hunter2, expected key=value',
        'loading KV pairs: literal sources [(hidden: may be a secret)]: invalid literal source (hidden: may be a secret), expected key=value',
      ],
      [
        'map[string]interface {}(nil): yaml: invalid map key: map[string]interface {}{"s3cr3t":""}',
        'map[string]interface {}(nil): yaml: invalid map key: (hidden: may be a secret)',
      ],
      [
        'yaml: unmarshal errors:\n  line 6: cannot unmarshal !!str `s3cr3t` into map[string]string',
        'yaml: unmarshal errors:\n  line 6: cannot unmarshal !!str `(hidden: may be a secret)` into map[string]string',
      ],
      [
        'json: map[string]interface {}{"password":"s3cr3t"} is not a list',
        'json: map[string]interface {}{(hidden: may be a secret)} is not a list',
      ],
    ];
    for (const [input, expected] of cases) expect(hideQuotedValues(input)).toBe(expected);
    const plain =
      "accumulating resources: accumulating resources from 's.yaml': MalformedYAMLError: yaml: line 6: found unexpected end of stream in File: s.yaml";
    expect(hideQuotedValues(plain)).toBe(plain);
  });

  it('a remote resource that never answers: RenderError after the timeout, not a hang', async () => {
    // A local server that accepts the connection and never answers, as a dead remote does.
    const server = createServer(() => undefined);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const remote = join(dir, 'remote');
      mkdirSync(remote);
      writeFileSync(
        join(remote, 'kustomization.yaml'),
        `resources:\n  - http://127.0.0.1:${port}/deploy.yaml\n`,
      );
      const started = Date.now();
      const err = await renderKustomization(remote, 2_000).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(err).toBeInstanceOf(RenderError);
      expect((err as Error).message).toContain(`${remote} did not finish within 2 s`);
      expect((err as RenderError).hint).toContain('remote resource or base');
    } finally {
      server.close();
    }
  }, 30_000);

  it('without kustomize and kubectl on PATH: ToolMissingError with an install hint', () => {
    const err = (() => {
      try {
        return findKustomize(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).hint).toMatch(/install/i);
  });
});

interface DeploymentSpec {
  template: {
    spec: {
      containers: {
        env: { name: string; value?: string }[];
        readinessProbe?: unknown;
        livenessProbe?: unknown;
      }[];
    };
  };
}
interface AppSetSpec {
  strategy: {
    type: string;
    rollingSync: { steps: { matchExpressions: { key: string; values: string[] }[] }[] };
  };
  template: { metadata: { labels: Record<string, string> } };
  generators: { list: { elements: { region: string; wave: string }[] } }[];
}
interface FluxSpec {
  prune: boolean;
  path: string;
  healthChecks: unknown[];
}

describe('the object validators reject bad objects (so a pass above means something)', () => {
  const tree = join(import.meta.dirname, '../golden/flux-hub-managed/expected');
  let region: KubeObject[];
  let flux: KubeObject[];
  let argo: KubeObject[];
  beforeAll(async () => {
    region = parseObjects(await renderKustomization(join(tree, 'regions/us-east')));
    flux = parseObjects(await renderKustomization(join(tree, 'flux')));
    argo = parseObjects(
      await renderKustomization(
        join(import.meta.dirname, '../golden/argocd-in-cluster/expected/argocd'),
      ),
    );
  });
  /** A copy of `o` with the field at a dotted path set (or deleted when value is undefined). */
  const mutate = (o: KubeObject, path: string, value?: unknown): KubeObject => {
    const copy = structuredClone(o);
    const steps = path.split('.');
    let node = copy as Record<string, unknown>;
    for (const step of steps.slice(0, -1)) node = node[step] as Record<string, unknown>;
    const last = steps[steps.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = value;
    return copy;
  };

  it('core kinds: wrong type and missing required field', () => {
    const dep = region.find((o) => o.kind === 'Deployment')!;
    expect(validateObject(dep)).toEqual([]);
    expect(validateObject(mutate(dep, 'spec.replicas', 'three')).join()).toMatch(/replicas/);
    expect(validateObject(mutate(dep, 'spec.selector')).join()).toMatch(/selector/);
    expect(validateObject(mutate(dep, 'spec.replicass', 3)).join()).toMatch(
      /\/spec\/replicass: unknown field/,
    );
    expect(validateObject(mutate(dep, 'spec.template.spec.containers.0.envv', [])).join()).toMatch(
      /containers\/0\/envv: unknown field/,
    );
    const svc = region.find((o) => o.kind === 'Service')!;
    expect(validateObject(mutate(svc, 'spec.ports.0.port', 'http')).join()).toMatch(/port/);
  });

  it('Flux kinds: unknown field, wrong type, missing required field', () => {
    const ks = flux.find((o) => o.kind === 'Kustomization')!;
    expect(validateObject(ks)).toEqual([]);
    expect(validateObject(mutate(ks, 'spec.prunee', true)).join()).toMatch(/prunee/);
    expect(validateObject(mutate(ks, 'spec.prune', 'yes')).join()).toMatch(/prune/);
    expect(validateObject(mutate(ks, 'spec.sourceRef')).join()).toMatch(/sourceRef/);
    const repo = flux.find((o) => o.kind === 'GitRepository')!;
    expect(validateObject(mutate(repo, 'spec.ref', { brnch: 'main' })).join()).toMatch(/brnch/);
  });

  it('Argo CD kinds: unknown field and wrong type', () => {
    const appset = argo.find((o) => o.kind === 'ApplicationSet')!;
    expect(validateObject(appset)).toEqual([]);
    expect(
      validateObject(mutate(appset, 'spec.strategy.rollingSynk', { steps: [] })).join(),
    ).toMatch(/rollingSynk/);
    expect(validateObject(mutate(appset, 'spec.goTemplate', 'true')).join()).toMatch(/goTemplate/);
    const project = argo.find((o) => o.kind === 'AppProject')!;
    expect(validateObject(mutate(project, 'spec.sourceRepos', 'x')).join()).toMatch(/sourceRepos/);
  });

  it('production kinds (CloudNativePG, Barman Cloud, redis operator, Prometheus Operator): unknown field, wrong type, missing required field', async () => {
    const prod = parseObjects(
      await renderKustomization(
        join(import.meta.dirname, '../golden/argocd-production/expected/regions/eu-west'),
      ),
    );
    const find = (kind: string) => {
      const o = prod.find((x) => x.kind === kind);
      expect(o, kind).toBeDefined();
      expect(validateObject(o!), kind).toEqual([]);
      return o!;
    };
    const cluster = find('Cluster');
    expect(validateObject(mutate(cluster, 'spec.instances', 'three')).join()).toMatch(/instances/);
    expect(validateObject(mutate(cluster, 'spec.instances')).join()).toMatch(/instances/);
    expect(validateObject(mutate(cluster, 'spec.replica.primry', 'x')).join()).toMatch(/primry/);
    const store = find('ObjectStore');
    expect(validateObject(mutate(store, 'spec.retentionPolicy', '30 days')).join()).toMatch(
      /retentionPolicy/,
    );
    expect(validateObject(mutate(store, 'spec.configuration.destinationPath')).join()).toMatch(
      /destinationPath/,
    );
    const backup = find('ScheduledBackup');
    expect(validateObject(mutate(backup, 'spec.method', 'tape')).join()).toMatch(/method/);
    const redis = find('RedisCluster');
    expect(validateObject(mutate(redis, 'spec.clusterSize', '3')).join()).toMatch(/clusterSize/);
    expect(validateObject(mutate(redis, 'spec.kubernetesConfig.imagee', 'x')).join()).toMatch(
      /imagee/,
    );
    const rule = find('PrometheusRule');
    expect(validateObject(mutate(rule, 'spec.groups.0.rules.0.alertt', 'x')).join()).toMatch(
      /alertt/,
    );
    expect(validateObject(mutate(find('ServiceMonitor'), 'spec.endpoints', 'x')).join()).toMatch(
      /endpoints/,
    );
    expect(validateObject(mutate(find('PodMonitor'), 'spec.selectr', {})).join()).toMatch(
      /selectr/,
    );
  });

  it('an unknown kind is an error, never a silent pass', () => {
    expect(
      validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toHaveLength(1);
  });
});
