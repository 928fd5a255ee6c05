import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../../src/core/errors';
import type { KubeObject } from '../cluster/api-client';
import { cacheKey } from '../cluster/binaries';
import { validateRegions } from '../cluster/cluster';
import { relocate } from '../cluster/corpus';
import { componentKubeconfig, fakeNodes } from '../cluster/control-plane';
import { checkRepoName, parseCgiHeaders } from '../cluster/git-server';
import { contextName, renderKubeconfig, type RegionCredentials } from '../cluster/kubeconfig';
import { withLock } from '../cluster/lock';
import { isOurs, processAlive, stopProcess } from '../cluster/processes';

// The pure and local parts of the real-cluster harness; the clusters themselves are
// exercised in test/integration/cluster-*.test.ts.

const tmp = mkdtempSync(join(tmpdir(), 'mr-drift-harness-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kubeconfig', () => {
  const creds = (region: string): RegionCredentials => ({
    region,
    server: `https://127.0.0.1:${region === 'us-east' ? 6443 : 7443}`,
    caPem: `CA of ${region}`,
    users: {
      admin: { certPem: `admin cert ${region}`, keyPem: `admin key ${region}` },
      readonly: { certPem: `ro cert ${region}`, keyPem: `ro key ${region}` },
      'drift-checker': { certPem: `dc cert ${region}`, keyPem: `dc key ${region}` },
    },
  });
  const config = parse(renderKubeconfig([creds('us-east'), creds('eu-west')])) as {
    'current-context': string;
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { name: string; user: Record<string, string> }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
  };
  const b64 = (s: string): string => Buffer.from(s).toString('base64');

  it('has the admin context named after the region, plus -readonly and -drift-checker', () => {
    expect(config.contexts.map((c) => c.name)).toEqual([
      'us-east',
      'us-east-readonly',
      'us-east-drift-checker',
      'eu-west',
      'eu-west-readonly',
      'eu-west-drift-checker',
    ]);
    expect(config['current-context']).toBe('us-east');
    expect(contextName('eu-west', 'drift-checker')).toBe('eu-west-drift-checker');
  });

  it("points each context at its own region's cluster and credentials, embedded", () => {
    const ctx = config.contexts.find((c) => c.name === 'eu-west-readonly');
    expect(ctx?.context).toEqual({
      cluster: 'eu-west',
      user: 'eu-west-readonly',
      namespace: 'default',
    });
    const cluster = config.clusters.find((c) => c.name === 'eu-west');
    expect(cluster?.cluster.server).toBe('https://127.0.0.1:7443');
    expect(cluster?.cluster['certificate-authority-data']).toBe(b64('CA of eu-west'));
    const user = config.users.find((u) => u.name === 'eu-west-readonly');
    expect(user?.user).toEqual({
      'client-certificate-data': b64('ro cert eu-west'),
      'client-key-data': b64('ro key eu-west'),
    });
  });
});

describe('region names', () => {
  it('accepts DNS-style names', () => {
    expect(() => validateRegions(['us-east', 'eu-west', 'ap-southeast', 'r1'])).not.toThrow();
  });
  it.each([
    [['Bad_Name'], 'region "Bad_Name" is not a valid name'],
    [['-x'], 'region "-x" is not a valid name'],
    [['us-east', 'us-east'], 'region "us-east" is given twice'],
    [['prod-readonly'], 'ends like a per-user context name'],
    [[], 'no regions given'],
  ])('rejects %j with a usage error (exit 2)', (regions, message) => {
    let err: unknown;
    try {
      validateRegions(regions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toContain(message);
  });
});

describe('relocating a corpus into a fresh namespace', () => {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.example.com' },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'monitoring' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'reader' },
      roleRef: { kind: 'ClusterRole', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'monitoring' }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'builtin' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: 'kube-system' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: 'monitoring' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'r', namespace: 'kube-system' },
      roleRef: { kind: 'Role', name: 'r' },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'r', namespace: 'monitoring' },
      roleRef: { kind: 'Role', name: 'r' },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: { service: { name: 'adapter', namespace: 'monitoring' } },
    },
  ];
  const r = relocate(objects, 'monitoring', 'fresh-ns', 'x1');
  const find = (kind: string, ns?: string): KubeObject[] =>
    [...r.objects, ...r.dryRunOnly].filter(
      (o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns),
    );

  it('moves namespaced objects and the Namespace itself into the fresh namespace', () => {
    expect(r.namespaces.map((n) => n.metadata.name)).toEqual(['fresh-ns']);
    expect(find('ConfigMap')[0]?.metadata.namespace).toBe('fresh-ns');
    expect(find('ServiceAccount')[0]?.metadata.namespace).toBe('fresh-ns');
  });

  it('keeps CRDs as they are, and dry-runs the APIService (pointing at the moved Service)', () => {
    expect(r.crds).toEqual([objects[1]]);
    expect(r.dryRunOnly).toHaveLength(1);
    expect(r.dryRunOnly[0]?.metadata.name).toBe('v1beta1.metrics.k8s.io');
    expect(r.dryRunOnly[0]?.spec).toEqual({ service: { name: 'adapter', namespace: 'fresh-ns' } });
  });

  it('suffixes names outside the namespace and follows the references to them', () => {
    const crb = find('ClusterRoleBinding');
    expect(find('ClusterRole')[0]?.metadata.name).toBe('reader-x1');
    expect(crb[0]).toMatchObject({
      metadata: { name: 'reader-x1' },
      roleRef: { name: 'reader-x1' },
      subjects: [{ namespace: 'fresh-ns' }],
    });
    expect(crb[1]?.roleRef).toEqual({ kind: 'ClusterRole', name: 'view' }); // built-in, untouched
    expect(find('Role', 'kube-system')[0]?.metadata.name).toBe('r-x1');
    expect(find('RoleBinding', 'kube-system')[0]?.roleRef).toEqual({ kind: 'Role', name: 'r-x1' });
    // The Role moved into the fresh namespace keeps its name, and so does its binding's ref.
    expect(find('Role', 'fresh-ns')[0]?.metadata.name).toBe('r');
    expect(find('RoleBinding', 'fresh-ns')[0]?.roleRef).toEqual({ kind: 'Role', name: 'r' });
  });

  it('leaves the input untouched', () => {
    expect(objects[2]?.metadata.namespace).toBe('monitoring');
  });
});

describe('binary cache key', () => {
  const go = { version: 'go1.26.8', os: 'linux', arch: 'amd64' };
  it('is stable for the same pins and toolchain', () => {
    expect(cacheKey('kube-apiserver', go)).toBe(cacheKey('kube-apiserver', go));
    expect(cacheKey('kube-apiserver', go)).toMatch(/^[0-9a-f]{16}$/);
  });
  it('changes with the Go version, the platform and the binary', () => {
    const k = cacheKey('kube-apiserver', go);
    expect(cacheKey('kube-apiserver', { ...go, version: 'go1.26.9' })).not.toBe(k);
    expect(cacheKey('kube-apiserver', { ...go, arch: 'arm64' })).not.toBe(k);
    expect(cacheKey('kubectl', go)).not.toBe(k);
    expect(cacheKey('etcd', go)).not.toBe(cacheKey('pki', go));
  });
});

describe('lock between processes', () => {
  it('runs holders one after another', async () => {
    const path = join(tmp, 'serial.lock');
    const events: string[] = [];
    const hold = (name: string): Promise<void> =>
      withLock(path, 'test', async () => {
        events.push(`${name} in`);
        await sleep(150);
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(path)).toBe(false);
  });

  it('takes over a lock whose owner died', async () => {
    const path = join(tmp, 'stale.lock');
    mkdirSync(path);
    writeFileSync(join(path, 'pid'), '2147483646'); // no such process
    await expect(
      withLock(path, 'test', () => Promise.resolve('got it'), { timeoutMs: 2_000 }),
    ).resolves.toBe('got it');
  });

  it('gives up with a message naming the lock when a live owner keeps it', async () => {
    const path = join(tmp, 'held.lock');
    mkdirSync(path);
    writeFileSync(join(path, 'pid'), String(process.ppid)); // alive for the whole test
    await expect(
      withLock(path, 'the thing', () => Promise.resolve(1), { timeoutMs: 600 }),
    ).rejects.toThrow(
      new RegExp(`waiting for the thing \\(lock ${path} held by pid ${process.ppid}\\)`),
    );
    rmSync(path, { recursive: true });
  });
});

describe('stopping processes by pid', () => {
  it('never signals a pid whose command line lacks the marker, and stops one that has it', async () => {
    const child = spawn('sleep', ['31.5'], { stdio: 'ignore' });
    const pid = child.pid as number;
    try {
      expect(isOurs({ pid, marker: '31.5' })).toBe(true);
      expect(await stopProcess({ pid, marker: 'some-other-data-dir' })).toBe('gone');
      expect(processAlive(pid)).toBe(true);
      expect(await stopProcess({ pid, marker: '31.5' }, 2_000)).toBe('stopped');
      expect(processAlive(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('git server pieces', () => {
  it('reads the CGI status line and passes the other headers through', () => {
    expect(
      parseCgiHeaders(
        'Status: 404 Not Found\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980',
      ),
    ).toEqual({
      status: 404,
      headers: { 'Content-Type': 'text/plain', Expires: 'Fri, 01 Jan 1980' },
    });
    expect(parseCgiHeaders('Content-Type: application/x-git-upload-pack-advertisement')).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/x-git-upload-pack-advertisement' },
    });
    // A malformed status is ignored rather than sent.
    expect(parseCgiHeaders('Status: banana').status).toBe(200);
  });
  it('accepts plain repository names only', () => {
    for (const ok of ['fleet', 'mr-drift_tree.v2', 'a'])
      expect(() => checkRepoName(ok)).not.toThrow();
    for (const bad of ['../x', 'a/b', 'x.git', '', '.hidden', 'a..b', 'sp ace']) {
      expect(() => checkRepoName(bad), bad).toThrow(/not a usable repository name/);
    }
  });
});

describe('control plane pieces', () => {
  it('makes one untainted fake Node per zone, labelled with the region and zone', () => {
    const nodes = fakeNodes('eu-west');
    expect(nodes.map((n) => n.metadata.name)).toEqual([
      'kwok-eu-west-a',
      'kwok-eu-west-b',
      'kwok-eu-west-c',
    ]);
    for (const n of nodes) {
      const meta = n.metadata as unknown as {
        annotations: Record<string, string>;
        labels: Record<string, string>;
      };
      expect(meta.annotations['kwok.x-k8s.io/node']).toBe('fake');
      expect(meta.labels['topology.kubernetes.io/region']).toBe('eu-west');
      expect((n as { spec?: { taints?: unknown } }).spec?.taints).toBeUndefined();
    }
  });
  it('writes component kubeconfigs that point at certificate files', () => {
    const cfg = parse(componentKubeconfig('https://127.0.0.1:6443', '/p', 'kwok')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    expect(cfg.clusters[0]?.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority': '/p/ca.crt',
    });
    expect(cfg.users[0]?.user).toEqual({
      'client-certificate': '/p/kwok.crt',
      'client-key': '/p/kwok.key',
    });
  });
});
