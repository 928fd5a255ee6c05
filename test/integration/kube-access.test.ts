import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  clusterKubeconfig,
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  uniqueName,
} from '../cluster/testing';
import type { KubeObject } from '../cluster/api-client';
import { KubeClient } from '../../src/adapters/kube/kube-client';
import { loadKubeconfig } from '../../src/adapters/kube/kubeconfig';
import { applyAsGitOps, check, deleteObjects, summary, tempDir } from './drift-helpers';

/**
 * Every way a kubeconfig can hold credentials, against a real kube-apiserver: inline and
 * file certificates (relative paths), a ServiceAccount token inline, from a file and from
 * an exec plugin, insecure-skip-tls-verify, tls-server-name, a host name instead of an IP,
 * and a proxy (through a local CONNECT proxy, which counts its tunnels). Each context must
 * give exactly the same finding for the same hand change, so each really read the cluster.
 * Requests go over HTTP/2, through the proxy's tunnel too.
 */

const REGION = 'us-east';
let ns: string;
let ws: { dir: string; dispose: () => void };
let kubeconfig: string;
let binding: string;
let proxy: Server;
let tunnels = 0;
const objects: KubeObject[] = [];

type Config = {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
};

/** A plain HTTP CONNECT proxy on 127.0.0.1 (what `proxy-url: http://...` talks to). */
function startProxy(): Promise<string> {
  proxy = createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    tunnels++;
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return new Promise((done) =>
    proxy.listen(0, '127.0.0.1', () =>
      done(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`),
    ),
  );
}

describeCluster('kubeconfig credential forms on the real cluster', () => {
  beforeAll(async () => {
    ns = await freshNamespace('kube-access', [REGION]);
    const app = uniqueName('kube-access-app');
    const labels = { 'app.kubernetes.io/part-of': app };
    objects.push(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns, labels },
        data: { MODE: 'a' },
      },
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'checker', namespace: ns, labels },
      },
    );
    await applyAsGitOps(REGION, objects);
    await kubectl(REGION, ['label', 'configmap/settings', 'owner=bob'], { namespace: ns });

    // The ServiceAccount may read everything, as the read-only ClusterRole allows.
    binding = uniqueName('kube-access-read');
    await kubectl(REGION, [
      'create',
      'clusterrolebinding',
      binding,
      '--clusterrole=mr-drift-read-only',
      `--serviceaccount=${ns}:checker`,
    ]);
    const token = (
      await kubectl(REGION, ['create', 'token', 'checker', '--duration=1h'], { namespace: ns })
    ).trim();

    ws = tempDir('kube-access');
    writeFileSync(join(ws.dir, 'desired.yaml'), objects.map((o) => stringify(o)).join('---\n'));
    // Credentials in files, named relative to the kubeconfig in creds/.
    const admin = parse(readFileSync(clusterKubeconfig(), 'utf8')) as Config;
    const real = admin.clusters.find((c) => c.name === REGION)!.cluster;
    const adminUser = admin.users.find((u) => u.name === `${REGION}-admin`)!.user;
    const server = String(real.server);
    const port = new URL(server).port;
    const b64 = (v: unknown) => Buffer.from(String(v), 'base64');
    const creds = join(ws.dir, 'creds');
    mkdirSync(join(creds, 'pki'), { recursive: true });
    writeFileSync(join(creds, 'pki', 'ca.crt'), b64(real['certificate-authority-data']));
    writeFileSync(join(creds, 'pki', 'admin.crt'), b64(adminUser['client-certificate-data']));
    writeFileSync(join(creds, 'pki', 'admin.key'), b64(adminUser['client-key-data']));
    writeFileSync(join(creds, 'token'), `${token}\n`);
    const plugin = join(creds, 'get-token.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\ncat <<EOF\n{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"$(cat "$TOKEN_FILE")"}}\nEOF\n`,
    );
    chmodSync(plugin, 0o755);
    const proxyUrl = await startProxy();

    const ca = { 'certificate-authority': 'pki/ca.crt' };
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'inline', cluster: real },
        { name: 'ca-file', cluster: { server, ...ca } },
        { name: 'insecure', cluster: { server, 'insecure-skip-tls-verify': true } },
        { name: 'sni', cluster: { server, ...ca, 'tls-server-name': 'kubernetes.default' } },
        { name: 'sni-wrong', cluster: { server, ...ca, 'tls-server-name': 'wrong.example' } },
        { name: 'hostname', cluster: { server: `https://localhost:${port}`, ...ca } },
        { name: 'proxied', cluster: { server, ...ca, 'proxy-url': proxyUrl } },
      ],
      users: [
        { name: 'admin-inline', user: adminUser },
        {
          name: 'admin-files',
          user: { 'client-certificate': 'pki/admin.crt', 'client-key': 'pki/admin.key' },
        },
        { name: 'sa-token', user: { token } },
        { name: 'sa-token-file', user: { tokenFile: 'token' } },
        {
          name: 'sa-exec',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: './get-token.sh',
              env: [{ name: 'TOKEN_FILE', value: join(creds, 'token') }],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [
        ['inline-cert', 'inline', 'admin-inline'],
        ['cert-files', 'ca-file', 'admin-files'],
        ['token', 'ca-file', 'sa-token'],
        ['token-file', 'ca-file', 'sa-token-file'],
        ['exec', 'ca-file', 'sa-exec'],
        ['insecure', 'insecure', 'sa-token'],
        ['tls-server-name', 'sni', 'sa-token'],
        ['tls-server-name-wrong', 'sni-wrong', 'sa-token'],
        ['hostname', 'hostname', 'sa-token'],
        ['proxy', 'proxied', 'sa-token'],
      ].map(([name, cluster, user]) => ({ name, context: { cluster, user, namespace: ns } })),
    };
    kubeconfig = join(creds, 'kubeconfig');
    writeFileSync(kubeconfig, stringify(config));
  }, 300_000);

  afterAll(async () => {
    proxy?.close();
    await deleteObjects(REGION, objects);
    if (binding)
      await kubectl(REGION, ['delete', 'clusterrolebinding', binding, '--ignore-not-found']);
    if (ns) await dropNamespace(ns, [REGION]);
    ws?.dispose();
  });

  const checkAs = (context: string) =>
    check(join(ws.dir, 'desired.yaml'), [REGION], 'read-only', {
      kubeconfig,
      contexts: { [REGION]: context },
    });
  const expected = [
    {
      kind: 'ConfigMap',
      name: 'settings',
      type: 'changed',
      fields: { '/metadata/labels/owner': 'kubectl-label' },
    },
  ];

  it.each([
    'inline-cert',
    'cert-files',
    'token',
    'token-file',
    'exec',
    'insecure',
    'tls-server-name',
    'hostname',
    'proxy',
  ])('%s: the check reads the cluster and finds exactly the hand change', async (context) => {
    const before = tunnels;
    const report = await checkAs(context);
    const [region] = report.regions;
    expect(region.error).toBeUndefined();
    expect(region.status).toBe('drift');
    expect(summary(region.findings)).toEqual(expected);
    // Only the proxied context goes through the proxy.
    if (context === 'proxy') expect(tunnels).toBeGreaterThan(before);
    else expect(tunnels).toBe(before);
  });

  it('a tls-server-name the certificate does not carry is an error for the region, not in sync', async () => {
    const [region] = (await checkAs('tls-server-name-wrong')).regions;
    expect(region.status).toBe('error');
    expect(region.error).toContain('wrong.example');
    // Reached, but the certificate does not match: a trust problem, not an outage.
    expect(region.error).toContain("the server's TLS certificate is not trusted");
    expect(region.error).toContain('the server address is the one the certificate was issued for');
    expect(region.error).not.toContain('Check that the cluster is up');
  });

  it('requests share one HTTP/2 connection, through the proxy too', async () => {
    const kc = loadKubeconfig(kubeconfig);
    for (const [context, protocol] of [
      ['token', 'h2'],
      ['cert-files', 'h2'],
      ['proxy', 'h2'],
    ]) {
      const client = await KubeClient.connect(kc, { context });
      try {
        const version = (await client.getJson('/version')) as { gitVersion?: string };
        expect(version.gitVersion).toMatch(/^v1\./);
        expect(client.protocol).toBe(protocol);
      } finally {
        client.close();
      }
    }
  });
});
