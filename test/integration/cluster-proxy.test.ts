import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  clusterKubeconfig,
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  kubectlBinary,
  regions,
  uniqueName,
} from '../cluster/testing';
import type { KubeObject } from '../cluster/api-client';
import { chooseProxy, ProxySettingError } from '../../src/adapters/kube/proxy-rules';
import { KubeClient } from '../../src/adapters/kube/kube-client';
import { loadKubeconfig } from '../../src/adapters/kube/kubeconfig';
import type { DriftReport } from '../../src/core/report/model';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy';
import {
  fillProxyCase,
  PROXY_CASES,
  PROXY_VARIABLES,
  type ProxyCase,
} from '../support/proxy-cases';
import { startSocks5Proxy, type Socks5Proxy } from '../support/socks5-proxy';
import { makeTestCertificate } from '../support/test-certificate';
import { applyAsGitOps, deleteObjects, runCli, summary } from './drift-helpers';

/**
 * The check reaches clusters through proxies as kubectl does, with real kubectl as the
 * oracle on the same proxies:
 *
 * - the rule table (test/support/proxy-cases.ts: which variable, NO_PROXY domains, ports,
 *   CIDR blocks, loopback, proxy-url winning) run through real kubectl and recording
 *   proxies, against mr-drift's choice for each case;
 * - the real regions addressed as `<region>.clusters.test`, a name only the proxies
 *   resolve (they map it to the API server on 127.0.0.1): `mr-drift check` and kubectl
 *   through HTTPS_PROXY, NO_PROXY, a proxy that wants credentials (407), a proxy that is
 *   not there, and the kubeconfig's proxy-url as an HTTP, HTTPS and SOCKS5 proxy, and as an
 *   HTTP proxy forwarding to a plain `http://` server (`kubectl proxy`).
 */

const PROXY_USER = 'mrdrift';
const PROXY_PASSWORD = `pr0xy-${Math.random().toString(36).slice(2)}`;
const WRONG_PASSWORD = `wr0ng-${Math.random().toString(36).slice(2)}`;

type Kubeconfig = {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
};

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '0.0.0.0', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** The environment with every proxy variable cleared, then `env` set. */
function proxyEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const v of PROXY_VARIABLES) delete out[v];
  return { ...out, ...env };
}

interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function runKubectl(args: string[], env: NodeJS.ProcessEnv): Promise<KubectlRun> {
  const binary = await kubectlBinary();
  return new Promise((done) =>
    execFile(binary, args, { env, timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** Runs `fn` on every item, at most `limit` at a time. */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

describeCluster('proxies: the rules, with kubectl as the oracle', () => {
  let dir: string;
  let recorder: ConnectProxy;
  let socksRecorder: Socks5Proxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mr-drift-proxy-rules-'));
    // Every target is unknown to both: the HTTP proxy answers 502, the SOCKS5 proxy
    // refuses, each after recording what it was asked for.
    recorder = await startConnectProxy({ routes: {}, forward: true });
    socksRecorder = await startSocks5Proxy({ routes: {} });
  });

  afterAll(async () => {
    await recorder?.close();
    await socksRecorder?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`kubectl and mr-drift choose the same way in all ${PROXY_CASES.length} cases`, async () => {
    const ports = await Promise.all(PROXY_CASES.map(() => freePort()));
    const outcome = await inBatches(
      PROXY_CASES.map((c, i) => ({ c, i })),
      4,
      async ({ c, i }: { c: ProxyCase; i: number }) => {
        const filled = fillProxyCase(c, {
          proxy: recorder.url,
          socks: socksRecorder.url,
          port: ports[i],
        });
        const file = join(dir, `kubeconfig-${i}`);
        writeFileSync(
          file,
          stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [
              {
                name: 'c',
                cluster: {
                  server: filled.server,
                  'insecure-skip-tls-verify': true,
                  ...(filled.proxyUrl ? { 'proxy-url': filled.proxyUrl } : {}),
                },
              },
            ],
            users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
            contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
            'current-context': 'c',
          }),
        );
        const run = await runKubectl(
          ['get', '--raw', '/version', '--request-timeout=20s'],
          proxyEnv({ ...filled.env, KUBECONFIG: file }),
        );
        const url = new URL(filled.server);
        const target = url.port ? `:${url.port}` : `${url.hostname}:443`;
        const hit = (t: string) => (url.port ? t.endsWith(target) : t === target);
        const kubectlDid =
          c.kubectlSays?.test(run.stderr) === true
            ? 'error'
            : recorder.tunnels.some((t) => hit(t.target))
              ? 'proxy'
              : socksRecorder.connections.some((t) => hit(t.target))
                ? 'socks'
                : 'direct';
        let ours: string;
        try {
          const proxy = chooseProxy(filled.server, filled.proxyUrl, filled.env);
          ours = !proxy ? 'direct' : proxy.scheme === 'socks5' ? 'socks' : 'proxy';
        } catch (e) {
          if (!(e instanceof ProxySettingError)) throw e;
          ours = 'error';
        }
        // A kubectl that did not answer at all would hide a case: it always fails here
        // (502, refused, no such host), never hangs.
        expect(run.code, `${c.name}: kubectl should fail to reach ${filled.server}`).not.toBe(0);
        return { name: c.name, expected: c.expect, kubectl: kubectlDid, ours };
      },
    );
    const disagreements = outcome.filter((o) => o.kubectl !== o.expected || o.ours !== o.expected);
    expect(disagreements).toEqual([]);
  }, 600_000);
});

describeCluster('proxies: checking the real regions through them', () => {
  const objects: KubeObject[] = [];
  let ns: string;
  let dir: string;
  let desired: string;
  let open: ConnectProxy;
  let guarded: ConnectProxy;
  let tlsProxy: ConnectProxy;
  let socks: Socks5Proxy;
  let socksGuarded: Socks5Proxy;
  let admin: Kubeconfig;
  /** `<region>.clusters.test:<port>` -> the API server's port. */
  const routes: Record<string, number> = {};
  /** A name other than `localhost` that resolves to this machine, if it has one. */
  let alias: string | undefined;
  let closedPort: number;

  /** A kubeconfig addressing each region by `name(region)`, with extra cluster fields. */
  function kubeconfigFor(
    name: string,
    host: (region: string) => string,
    extra: (region: string) => Record<string, unknown> = () => ({}),
  ): string {
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: regions().map((r) => {
        const real = admin.clusters.find((c) => c.name === r)!.cluster;
        const port = new URL(String(real.server)).port;
        return {
          name: r,
          cluster: {
            ...real,
            server: `https://${host(r)}:${port}`,
            'tls-server-name': 'kubernetes.default',
            ...extra(r),
          },
        };
      }),
      users: regions().map((r) => admin.users.find((u) => u.name === `${r}-admin`)!),
      contexts: regions().map((r) => ({
        name: r,
        context: { cluster: r, user: `${r}-admin`, namespace: ns },
      })),
    };
    const file = join(dir, `kubeconfig-${name}`);
    writeFileSync(file, stringify(config));
    return file;
  }

  const named = (r: string) => `${r}.clusters.test`;

  interface Both {
    code: number | null;
    report?: DriftReport;
    output: string;
    kubectl: Array<KubectlRun & { region: string }>;
  }

  /** `mr-drift check` (JSON, or text with `text`) and `kubectl get configmap settings`, per region, in `env`. */
  async function checkBoth(
    kubeconfig: string,
    env: Record<string, string>,
    text = false,
  ): Promise<Both> {
    const full = proxyEnv(env);
    // runCli adds `env` to this process's environment: blank out its proxy variables.
    const blank = Object.fromEntries(PROXY_VARIABLES.map((v) => [v, '']));
    const [cli, ...runs] = await Promise.all([
      runCli(
        [
          'check',
          '--path',
          desired,
          '--regions',
          regions().join(','),
          '--kubeconfig',
          kubeconfig,
          '--mode',
          'read-only',
          '--output',
          text ? 'text' : 'json',
          '--no-progress',
          '--request-timeout',
          '20',
        ],
        { ...blank, ...env },
      ),
      ...regions().map(async (r) => ({
        region: r,
        ...(await runKubectl(
          [
            '--kubeconfig',
            kubeconfig,
            '--context',
            r,
            'get',
            // By name: the namespace also holds kube-root-ca.crt, which the
            // controller-manager puts in every namespace.
            'configmap',
            'settings',
            '-o',
            'name',
            '--request-timeout=20s',
          ],
          full,
        )),
      })),
    ]);
    return {
      code: cli.code,
      output: cli.stdout + cli.stderr,
      ...(!text && cli.stdout.trim().startsWith('{')
        ? { report: JSON.parse(cli.stdout) as DriftReport }
        : {}),
      kubectl: runs,
    };
  }

  const expectedFindings = [
    {
      kind: 'ConfigMap',
      name: 'settings',
      type: 'changed',
      fields: { '/metadata/labels/owner': 'kubectl-label' },
    },
  ];

  /** Both read every region: mr-drift finds the hand change, kubectl lists the ConfigMap. */
  function expectBothRead(both: Both): void {
    expect(both.report, both.output).toBeDefined();
    for (const region of both.report!.regions) {
      expect(region.error, region.name).toBeUndefined();
      expect(summary(region.findings)).toEqual(expectedFindings);
    }
    expect(both.code).toBe(1);
    for (const run of both.kubectl) {
      expect(run.code, `${run.region}: ${run.stderr}`).toBe(0);
      expect(run.stdout.trim()).toBe('configmap/settings');
    }
  }

  /** Both fail in every region; mr-drift's error names the region's server and `says`. */
  function expectBothFail(both: Both, says: RegExp, kubectlSays: RegExp): void {
    expect(both.report, both.output).toBeDefined();
    for (const region of both.report!.regions) {
      expect(region.status, region.name).toBe('error');
      expect(region.error).toContain(`https://${named(region.name)}:`);
      expect(region.error).toMatch(says);
    }
    expect(both.code).toBe(2);
    for (const run of both.kubectl) {
      expect(run.code, run.region).not.toBe(0);
      expect(run.stderr).toMatch(kubectlSays);
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mr-drift-proxy-'));
    ns = await freshNamespace('cluster-proxy');
    const app = uniqueName('cluster-proxy-app');
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns, labels: { 'app.kubernetes.io/part-of': app } },
      data: { MODE: 'a' },
    });
    desired = join(dir, 'desired.yaml');
    writeFileSync(desired, stringify(objects[0]));
    for (const r of regions()) {
      await applyAsGitOps(r, objects);
      await kubectl(r, ['label', 'configmap/settings', 'owner=bob'], { namespace: ns });
    }

    admin = parse(readFileSync(clusterKubeconfig(), 'utf8')) as Kubeconfig;
    for (const host of [hostname(), 'localhost.localdomain']) {
      const found = await lookup(host).catch(() => undefined);
      if (found && /^127\./.test(found.address) && host !== 'localhost') {
        alias = host;
        break;
      }
    }
    for (const r of regions()) {
      const port = Number(
        new URL(String(admin.clusters.find((c) => c.name === r)!.cluster.server)).port,
      );
      routes[`${named(r)}:${port}`] = port;
      if (alias) routes[`${alias}:${port}`] = port;
    }
    open = await startConnectProxy({ routes });
    guarded = await startConnectProxy({
      routes,
      credentials: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    // kubectl checks an https proxy's certificate against the cluster's tls-server-name
    // when one is set (Go reuses the cluster's TLS settings for the proxy); mr-drift against
    // the proxy's host. This certificate is valid for both.
    const cert = makeTestCertificate(dir, { dns: ['kubernetes.default'], ip: ['127.0.0.1'] });
    tlsProxy = await startConnectProxy({ routes, tls: { key: cert.key, cert: cert.cert } });
    socks = await startSocks5Proxy({ routes });
    socksGuarded = await startSocks5Proxy({
      routes,
      credentials: { user: PROXY_USER, password: PROXY_PASSWORD },
    });
    closedPort = await freePort();
  }, 300_000);

  afterAll(async () => {
    await Promise.all([open, guarded, tlsProxy, socks, socksGuarded].map((p) => p?.close()));
    for (const r of regions()) await deleteObjects(r, objects).catch(() => undefined);
    if (ns) await dropNamespace(ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('HTTPS_PROXY: every region is read through the proxy, as kubectl reads it', async () => {
    const kubeconfig = kubeconfigFor('named', named);
    const before = open.tunnels.length;
    expectBothRead(await checkBoth(kubeconfig, { HTTPS_PROXY: open.url }));
    const targets = new Set(open.tunnels.slice(before).map((t) => t.target.split(':')[0]));
    expect([...targets].sort()).toEqual(regions().map(named).sort());
  }, 180_000);

  it('through the tunnel the client still speaks HTTP/2, as kubectl does', async () => {
    const kubeconfig = kubeconfigFor('named', named);
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = open.url;
    const client = await KubeClient.connect(loadKubeconfig(kubeconfig), { context: regions()[0] });
    try {
      const version = (await client.getJson('/version')) as { gitVersion?: string };
      expect(version.gitVersion).toMatch(/^v1\./);
      expect(client.protocol).toBe('h2');
    } finally {
      client.close();
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
  });

  it('without a proxy neither reaches the regions: their names resolve only through it', async () => {
    const both = await checkBoth(kubeconfigFor('named', named), {});
    expectBothFail(both, /ENOTFOUND/, /no such host/);
  }, 180_000);

  it('NO_PROXY: a listed domain goes direct, for both', async () => {
    const before = open.tunnels.length;
    // Direct, the names do not resolve: both fail without asking the proxy.
    const both = await checkBoth(kubeconfigFor('named', named), {
      HTTPS_PROXY: open.url,
      NO_PROXY: 'other.example,.clusters.test',
    });
    expectBothFail(both, /ENOTFOUND/, /no such host/);
    expect(open.tunnels.length).toBe(before);
  }, 180_000);

  it('NO_PROXY: a listed host that resolves is read directly, for both', async () => {
    // A host name of this machine other than localhost (which is never proxied anyway).
    if (!alias) {
      console.warn('no host name other than localhost resolves to 127.0.0.1 here');
      return;
    }
    const kubeconfig = kubeconfigFor('alias', () => alias!);
    let before = open.tunnels.length;
    expectBothRead(await checkBoth(kubeconfig, { HTTPS_PROXY: open.url }));
    expect(open.tunnels.length).toBeGreaterThan(before);
    before = open.tunnels.length;
    expectBothRead(await checkBoth(kubeconfig, { HTTPS_PROXY: open.url, no_proxy: alias }));
    expect(open.tunnels.length).toBe(before);
  }, 180_000);

  it('a proxy that wants credentials: 407 names the region and the proxy, never the password', async () => {
    const kubeconfig = kubeconfigFor('named', named);
    const withUser = (password: string) =>
      guarded.url.replace('http://', `http://${PROXY_USER}:${password}@`);

    const none = await checkBoth(kubeconfig, { HTTPS_PROXY: guarded.url });
    expectBothFail(
      none,
      /through the proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\): the proxy asks for credentials \(407 Proxy Authentication Required\)$/m,
      /Proxy Authentication Required/,
    );

    const wrong = await checkBoth(kubeconfig, { HTTPS_PROXY: withUser(WRONG_PASSWORD) });
    expectBothFail(
      wrong,
      /407 Proxy Authentication Required\) and refused the ones given/,
      /Proxy Authentication Required/,
    );
    expect(wrong.output).not.toContain(WRONG_PASSWORD);
    expect(wrong.output).not.toContain(PROXY_USER);

    // The text report names each region, the proxy and what to do.
    const text = await checkBoth(kubeconfig, { https_proxy: withUser(WRONG_PASSWORD) }, true);
    expect(text.code).toBe(2);
    for (const r of regions()) expect(text.output).toContain(r);
    expect(text.output).toMatch(/through the proxy http:\/\/127\.0\.0\.1:\d+ \(https_proxy\)/);
    expect(text.output).toContain('Give the proxy user and password in the proxy URL');
    expect(text.output).not.toContain(WRONG_PASSWORD);

    expectBothRead(await checkBoth(kubeconfig, { HTTPS_PROXY: withUser(PROXY_PASSWORD) }));
  }, 300_000);

  it('a proxy that is not there: refused, naming the proxy', async () => {
    const both = await checkBoth(kubeconfigFor('named', named), {
      HTTPS_PROXY: `http://${PROXY_USER}:${WRONG_PASSWORD}@127.0.0.1:${closedPort}`,
    });
    expectBothFail(
      both,
      new RegExp(
        `through the proxy http://127\\.0\\.0\\.1:${closedPort} \\(HTTPS_PROXY\\): cannot connect to the proxy \\(ECONNREFUSED\\)`,
      ),
      /refused/,
    );
    expect(both.output).not.toContain(WRONG_PASSWORD);
    expect(both.report!.regions[0].error).toContain(
      "Check the proxy's address and that it is running",
    );
  }, 180_000);

  it("the kubeconfig's proxy-url wins over HTTPS_PROXY and NO_PROXY", async () => {
    const kubeconfig = kubeconfigFor('proxy-url', named, () => ({ 'proxy-url': open.url }));
    const before = open.tunnels.length;
    expectBothRead(
      await checkBoth(kubeconfig, {
        HTTPS_PROXY: `http://127.0.0.1:${closedPort}`,
        NO_PROXY: '*',
      }),
    );
    expect(open.tunnels.length).toBeGreaterThan(before);
  }, 180_000);

  it('proxy-url: an https:// proxy, trusted through the kubeconfig CA as kubectl trusts it', async () => {
    const proxyCa = readFileSync(join(dir, 'test-server.crt'));
    const kubeconfig = kubeconfigFor('https-proxy', named, (r) => {
      const real = admin.clusters.find((c) => c.name === r)!.cluster;
      const clusterCa = Buffer.from(String(real['certificate-authority-data']), 'base64');
      return {
        'proxy-url': tlsProxy.url,
        'certificate-authority-data': Buffer.concat([
          clusterCa,
          Buffer.from('\n'),
          proxyCa,
        ]).toString('base64'),
      };
    });
    const before = tlsProxy.tunnels.length;
    expectBothRead(await checkBoth(kubeconfig, {}));
    expect(tlsProxy.tunnels.length).toBeGreaterThan(before);
  }, 180_000);

  it('proxy-url: a SOCKS5 proxy, with and without credentials', async () => {
    const plain = kubeconfigFor('socks', named, () => ({ 'proxy-url': socks.url }));
    const before = socks.connections.length;
    expectBothRead(await checkBoth(plain, {}));
    expect(
      socks.connections.slice(before).filter((c) => c.outcome === 'granted').length,
    ).toBeGreaterThanOrEqual(3);

    const withUser = (password: string) =>
      kubeconfigFor(`socks-${password}`, named, () => ({
        'proxy-url': socksGuarded.url.replace('socks5://', `socks5://${PROXY_USER}:${password}@`),
      }));
    expectBothRead(await checkBoth(withUser(PROXY_PASSWORD), {}));
    const wrong = await checkBoth(withUser(WRONG_PASSWORD), {});
    expectBothFail(
      wrong,
      /through the proxy socks5:\/\/127\.0\.0\.1:\d+ \(the cluster's proxy-url in the kubeconfig\): the SOCKS proxy refused the user and password/,
      /username\/password authentication failed/,
    );
    expect(wrong.output).not.toContain(WRONG_PASSWORD);
    // No credentials for a proxy that wants them: both say so.
    const none = await checkBoth(
      kubeconfigFor('socks-none', named, () => ({ 'proxy-url': socksGuarded.url })),
      {},
    );
    expectBothFail(
      none,
      /accepts none of the offered methods/,
      /no acceptable authentication methods/,
    );
  }, 300_000);

  describe('a plain http:// server behind an HTTP proxy (kubectl proxy)', () => {
    let kubectlProxy: ReturnType<typeof import('node:child_process').spawn> | undefined;
    let forwarding: ConnectProxy;
    let port = 0;

    beforeAll(async () => {
      const { spawn } = await import('node:child_process');
      const binary = await kubectlBinary();
      const child = spawn(
        binary,
        [
          '--kubeconfig',
          clusterKubeconfig(),
          '--context',
          regions()[0],
          'proxy',
          '--port=0',
          // It answers only requests for localhost by default; ours name the server.
          '--accept-hosts=^kubectl-proxy\\.clusters\\.test$',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      kubectlProxy = child;
      port = await new Promise<number>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) done(Number(m[1]));
        });
        child.on('exit', (code) => fail(new Error(`kubectl proxy exited ${code}`)));
      });
      forwarding = await startConnectProxy({
        routes: { [`kubectl-proxy.clusters.test:${port}`]: port },
        forward: true,
      });
    }, 120_000);

    afterAll(async () => {
      kubectlProxy?.kill();
      await forwarding?.close();
    });

    it('requests go to the proxy in absolute form, for both', async () => {
      const region = regions()[0];
      const file = join(dir, 'kubeconfig-http');
      writeFileSync(
        file,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: region,
              cluster: {
                server: `http://kubectl-proxy.clusters.test:${port}`,
                'proxy-url': forwarding.url,
              },
            },
          ],
          users: [{ name: 'nobody', user: {} }],
          contexts: [{ name: region, context: { cluster: region, user: 'nobody', namespace: ns } }],
        }),
      );
      const [cli, run] = await Promise.all([
        runCli(
          [
            'check',
            '--path',
            desired,
            '--regions',
            region,
            '--kubeconfig',
            file,
            '--mode',
            'read-only',
            '--output',
            'json',
            '--no-progress',
          ],
          Object.fromEntries(PROXY_VARIABLES.map((v) => [v, ''])),
        ),
        runKubectl(
          ['--kubeconfig', file, '--context', region, 'get', 'configmap', 'settings', '-o', 'name'],
          proxyEnv({}),
        ),
      ]);
      const report = JSON.parse(cli.stdout) as DriftReport;
      expect(report.regions[0].error).toBeUndefined();
      expect(summary(report.regions[0].findings)).toEqual(expectedFindings);
      expect(run.stdout.trim()).toBe('configmap/settings');
      const methods = new Set(forwarding.tunnels.map((t) => `${t.method} ${t.status}`));
      expect([...methods]).toEqual(['GET 200']);
    }, 180_000);
  });
});
