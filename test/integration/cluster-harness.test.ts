import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiClient } from '../cluster/api-client';
import { pinnedKubernetesVersion } from '../cluster/binaries';
import { repoRoot } from '../cluster/paths';
import { ENV } from '../cluster/provided';
import { processAlive, type StartedProcess } from '../cluster/processes';
import { pkiDir } from '../cluster/region';
import type { RegionStatus } from '../cluster/cluster';
import {
  clusterBinDir,
  clusterKubeconfig,
  contextName,
  describeCluster,
  dropNamespace,
  freshNamespace,
  kubectl,
  kubectlJson,
  regionApi,
  regionRecord,
  regions,
  USERS,
} from '../cluster/testing';

const run = promisify(execFile);

describeCluster('cluster harness: what the global setup provides', () => {
  it('provides the three regions, the kubeconfig and the binaries folder, also as env vars', () => {
    expect(regions()).toEqual(['us-east', 'eu-west', 'ap-southeast']);
    expect(existsSync(clusterKubeconfig())).toBe(true);
    expect(process.env[ENV.kubeconfig]).toBe(clusterKubeconfig());
    expect(process.env.KUBECONFIG).toBe(clusterKubeconfig());
    expect(process.env[ENV.regions]).toBe('us-east,eu-west,ap-southeast');
    for (const bin of ['etcd', 'kube-apiserver']) {
      expect(() => accessSync(join(clusterBinDir(), bin), constants.X_OK)).not.toThrow();
    }
  });

  it('writes one context per region and user, each pointing at its own cluster', () => {
    const config = parse(readFileSync(clusterKubeconfig(), 'utf8')) as {
      contexts: { name: string; context: { cluster: string; user: string } }[];
      clusters: { name: string; cluster: { server: string } }[];
    };
    const names = config.contexts.map((c) => c.name);
    for (const r of regions()) {
      for (const u of USERS) {
        const ctx = config.contexts.find((c) => c.name === contextName(r, u));
        expect(ctx?.context.cluster).toBe(r);
      }
    }
    expect(names).toContain('us-east-drift-checker');
    const servers = config.clusters.map((c) => c.cluster.server);
    expect(new Set(servers).size).toBe(regions().length);
    for (const s of servers) expect(s).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(regions())('%s runs the pinned kube-apiserver version', async (region) => {
    const v = await kubectlJson<{ serverVersion: { gitVersion: string } }>(region, ['version']);
    expect(v.serverVersion.gitVersion).toBe(pinnedKubernetesVersion());
  });

  it.each(regions())('%s has the Argo CD and Flux CRDs Established', async (region) => {
    const list = await kubectlJson<{
      items: {
        metadata: { name: string };
        status: { conditions?: { type: string; status: string }[] };
      }[];
    }>(region, ['get', 'crd']);
    const established = list.items
      .filter((c) =>
        c.status.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
      )
      .map((c) => c.metadata.name);
    for (const name of [
      'applications.argoproj.io',
      'applicationsets.argoproj.io',
      'appprojects.argoproj.io',
      'kustomizations.kustomize.toolkit.fluxcd.io',
      'gitrepositories.source.toolkit.fluxcd.io',
      'ocirepositories.source.toolkit.fluxcd.io',
    ]) {
      expect(established).toContain(name);
    }
  });
});

describeCluster('cluster harness: secured like a real cluster', () => {
  const region = 'us-east';
  let ns = '';
  beforeAll(async () => {
    ns = await freshNamespace('harness-sec', [region]);
  });
  afterAll(async () => {
    if (!ns) return;
    // Objects first: a namespace is never emptied here (no namespace controller).
    await kubectl(region, ['delete', 'serviceaccount', 'probe', '--ignore-not-found'], {
      namespace: ns,
    });
    await dropNamespace(ns, [region]);
  });

  it('refuses anonymous API reads but serves /readyz to anyone', async () => {
    const rec = regionRecord(region);
    const anon = new ApiClient(rec.server, { ca: join(pkiDir(rec.dir), 'ca.crt') });
    try {
      const ready = await anon.request('GET', '/readyz');
      expect(ready.status).toBe(200);
      const list = await anon.request('GET', '/api/v1/namespaces');
      expect(list.status).toBe(403);
      expect(list.body).toContain('system:anonymous');
    } finally {
      anon.close();
    }
  });

  it("refuses one region's credentials in another region (separate CAs)", async () => {
    const other = regionRecord('eu-west');
    const mine = regionRecord(region);
    const p = pkiDir(mine.dir);
    const crossed = new ApiClient(other.server, {
      ca: join(p, 'ca.crt'),
      cert: join(p, 'admin.crt'),
      key: join(p, 'admin.key'),
    });
    try {
      // Our CA does not trust their serving certificate: TLS fails before any HTTP.
      await expect(crossed.request('GET', '/version')).rejects.toThrow(/certificate/i);
    } finally {
      crossed.close();
    }
  });

  it('keeps etcd behind TLS client authentication', async () => {
    const rec = regionRecord(region);
    const p = pkiDir(rec.dir);
    const noCert = new ApiClient(`https://127.0.0.1:${rec.etcd.port}`, { ca: join(p, 'ca.crt') });
    const withCert = new ApiClient(`https://127.0.0.1:${rec.etcd.port}`, {
      ca: join(p, 'ca.crt'),
      cert: join(p, 'etcd-client.crt'),
      key: join(p, 'etcd-client.key'),
    });
    try {
      await expect(noCert.request('GET', '/health')).rejects.toThrow();
      const ok = await withCert.request('GET', '/health');
      expect(JSON.parse(ok.body)).toMatchObject({ health: 'true' });
    } finally {
      noCert.close();
      withCert.close();
    }
  });

  it('issues service-account tokens that the same region accepts, with its own issuer', async () => {
    await kubectl(region, ['create', 'serviceaccount', 'probe'], { namespace: ns });
    const token = (
      await kubectl(region, ['create', 'token', 'probe', '--duration=10m'], { namespace: ns })
    ).trim();
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as {
      iss: string;
      sub: string;
    };
    const rec = regionRecord(region);
    expect(payload.iss).toBe(rec.server);
    expect(payload.sub).toBe(`system:serviceaccount:${ns}:probe`);

    const asSa = new ApiClient(rec.server, { ca: join(pkiDir(rec.dir), 'ca.crt'), token });
    const elsewhere = regionRecord('ap-southeast');
    const asSaElsewhere = new ApiClient(elsewhere.server, {
      ca: join(pkiDir(elsewhere.dir), 'ca.crt'),
      token,
    });
    try {
      const review = await asSa.request(
        'POST',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      );
      expect(review.status).toBe(201);
      expect(JSON.parse(review.body)).toMatchObject({
        status: { userInfo: { username: `system:serviceaccount:${ns}:probe` } },
      });
      // Another region has another signing key: the token is not valid there.
      const refused = await asSaElsewhere.request('GET', '/api/v1/namespaces');
      expect(refused.status).toBe(401);
    } finally {
      asSa.close();
      asSaElsewhere.close();
    }
  });

  it('validates Argo CD objects against the real CRD schema', async () => {
    const good = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'harness-probe', namespace: ns },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
    };
    const bad = { ...good, spec: { sourceRepos: 'not-a-list' } };
    const applied = await kubectl(
      region,
      ['apply', '--server-side', '--dry-run=server', '-f', '-'],
      {
        input: JSON.stringify(good),
      },
    );
    expect(applied).toContain('appproject.argoproj.io/harness-probe');
    await expect(
      kubectl(region, ['apply', '--server-side', '--dry-run=server', '-f', '-'], {
        input: JSON.stringify(bad),
      }),
    ).rejects.toThrow(/spec\.sourceRepos/);
  });

  it('reports the admin user through the region API client', async () => {
    const api = regionApi(region);
    try {
      const res = await api.request(
        'POST',
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      );
      const info = (
        JSON.parse(res.body) as { status: { userInfo: { username: string; groups: string[] } } }
      ).status.userInfo;
      expect(info.username).toBe('mr-drift-admin');
      expect(info.groups).toContain('system:masters');
    } finally {
      api.close();
    }
  });
});

describeCluster('cluster harness: the cluster command', () => {
  // A separate folder and region, so this never touches the shared test regions.
  const dir = mkdtempSync(join(tmpdir(), 'mr-drift-cli-'));
  const cli = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/cluster/cli.ts'), ...args, '--dir', dir],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
  const statusRows = async (): Promise<RegionStatus[]> =>
    JSON.parse((await cli('status', '--json')).stdout) as RegionStatus[];

  afterAll(async () => {
    await cli('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad region name with exit code 2 and starts nothing', async () => {
    const err = (await cli('up', '--regions', 'Bad_Name').catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('region "Bad_Name" is not a valid name');
    expect(await statusRows()).toEqual([]);
  });

  it('starts a region, is safe to run twice, reports status, and stops exactly its processes', async () => {
    await cli('up', '--regions', 'cli-probe');
    const first = await statusRows();
    expect(first).toHaveLength(1);
    const row = first[0];
    expect(row).toMatchObject({ name: 'cli-probe', healthy: true, startedBy: 'cli' });
    expect(row.apiserver.rssKiB).toBeGreaterThan(0);

    const again = await cli('up', '--regions', 'cli-probe');
    expect(again.stderr).toContain('already running cli-probe');
    const second = (await statusRows())[0];
    expect(second.apiserver.pid).toBe(row.apiserver.pid);
    expect(second.etcd.pid).toBe(row.etcd.pid);

    const ns = await kubectl('cli-probe', ['get', 'namespaces', '-o', 'name'], {
      kubeconfig: join(dir, 'kubeconfig'),
    });
    expect(ns).toContain('namespace/kube-system');

    const down = await cli('down');
    expect(down.stdout).toContain('stopped cli-probe');
    // Gone, or a zombie waiting for init to reap it: either way no longer running.
    for (const pid of [row.apiserver.pid, row.etcd.pid]) expect(processAlive(pid)).toBe(false);
    expect(await statusRows()).toEqual([]);
    expect(existsSync(join(dir, 'kubeconfig'))).toBe(false);
  });

  it('leaves nothing running when `up` is killed half-way: the next `down` stops its processes', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'test/cluster/cli.ts'),
        'up',
        '--regions',
        'cli-killed',
        '--dir',
        dir,
      ],
      { cwd: repoRoot, stdio: 'ignore' },
    );
    // Wait until both processes of the region are spawned (and recorded), then kill `up`.
    let pending: StartedProcess[] = [];
    for (let i = 0; i < 600 && pending.length < 2; i++) {
      await sleep(100);
      try {
        pending =
          (
            JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
              pending?: StartedProcess[];
            }
          ).pending ?? [];
      } catch {
        // not written yet, or being replaced
      }
    }
    child.kill('SIGKILL');
    expect(pending).toHaveLength(2);
    for (const p of pending) expect(processAlive(p.pid)).toBe(true);

    const down = await cli('down');
    expect(down.stderr).toContain('left by an interrupted start');
    for (const p of pending) expect(processAlive(p.pid)).toBe(false);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });
});
