import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
} from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  clusterKubeconfig,
  describeCluster,
  kubectl,
  regionRecord,
  regions,
} from '../cluster/testing';
import type { DriftReport } from '../../src/core/report/model';
import { reportSchemaValidator } from '../support/report-schema';
import {
  alfredWorkspace,
  applyInOrder,
  deleteObjects,
  runCli,
  tempDir,
  type AlfredWorkspace,
} from './drift-helpers';

/**
 * The CLI end to end on the real clusters: who may check in which mode, what happens when
 * a region cannot be reached or rejects the credentials (an error for that region, never
 * "in sync", the others still complete), exit codes like `kubectl diff`, and bad input.
 */

const validate = reportSchemaValidator();

describeCluster('mr-drift check: access, errors and exit codes', () => {
  let ws: AlfredWorkspace;
  let kubeconfig: string;
  let dir: string;
  let dispose: () => void;
  let silentTcp: NetServer | undefined;
  let silentH2: Http2SecureServer | undefined;
  const [drifted, clean] = [regions()[0], regions()[1]];

  beforeAll(async () => {
    ws = alfredWorkspace([drifted, clean]);
    for (const r of [drifted, clean]) await applyInOrder(r, ws.objects(r));
    // One hand change in the first region only.
    await kubectl(drifted, ['label', 'deployment/alfred-api', 'owner=bob'], {
      namespace: ws.namespace,
    });

    // The harness's kubeconfig plus a context for a closed port and one with a bad token.
    ({ dir, dispose } = tempDir('access'));
    const config = parse(readFileSync(clusterKubeconfig(), 'utf8')) as {
      clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
      users: Array<{ name: string; user: Record<string, unknown> }>;
      contexts: Array<{ name: string; context: Record<string, unknown> }>;
    };
    const real = config.clusters.find((c) => c.name === drifted)!;
    config.clusters.push({
      name: 'nowhere',
      cluster: { ...real.cluster, server: 'https://127.0.0.1:1' },
    });
    config.users.push({ name: 'bad-token', user: { token: 'not-a-valid-token' } });
    config.contexts.push({
      name: 'unreachable',
      context: { cluster: 'nowhere', user: `${drifted}-admin` },
    });
    config.contexts.push({ name: 'bad-token', context: { cluster: drifted, user: 'bad-token' } });
    // The first region's address with the second region's CA: reached, but not trusted.
    const otherCa = config.clusters.find((c) => c.name === clean)!.cluster;
    config.clusters.push({
      name: 'wrong-ca',
      cluster: { ...otherCa, server: real.cluster.server },
    });
    config.contexts.push({
      name: 'wrong-ca',
      context: { cluster: 'wrong-ca', user: `${drifted}-admin` },
    });
    // Two addresses that never answer: one accepts TCP and never starts TLS (like a
    // half-open load balancer), one finishes the TLS and HTTP/2 handshake with the
    // region's own serving certificate and then never answers a request.
    silentTcp = createNetServer(() => undefined);
    const pki = join(regionRecord(drifted).dir, 'pki');
    silentH2 = createSecureServer({
      cert: readFileSync(join(pki, 'server.crt')),
      key: readFileSync(join(pki, 'server.key')),
    });
    silentH2.on('stream', () => undefined);
    for (const [name, server] of [
      ['silent-tcp', silentTcp],
      ['silent-h2', silentH2],
    ] as const) {
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const { port } = server.address() as AddressInfo;
      config.clusters.push({
        name,
        cluster: { ...real.cluster, server: `https://127.0.0.1:${port}` },
      });
      config.contexts.push({ name, context: { cluster: name, user: `${drifted}-admin` } });
    }
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, stringify(config));
  });
  afterAll(async () => {
    silentTcp?.close();
    silentH2?.close();
    for (const r of [drifted, clean]) await deleteObjects(r, ws.objects(r));
    ws.dispose();
    dispose();
  });

  const cli = (...args: string[]) =>
    runCli(['check', '--path', ws.dir, '--kubeconfig', kubeconfig, ...args]);
  const json = (stdout: string) => {
    const report = JSON.parse(stdout) as DriftReport;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    return report;
  };

  describe('exit codes follow kubectl diff', () => {
    it('0 when in sync, with a JSON report written to --report-file', async () => {
      const file = join(dir, 'in-sync.json');
      const res = await cli('--regions', clean, '--output', 'json', '--report-file', file);
      expect(res.code, res.stderr).toBe(0);
      const report = json(res.stdout);
      expect(report.regions.map((r) => [r.name, r.status])).toEqual([[clean, 'in-sync']]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(report);
    });

    it('1 when a region drifted, listing the field, its value and its manager', async () => {
      const res = await cli('--regions', `${drifted},${clean}`);
      expect(res.code, res.stderr).toBe(1);
      expect(res.stdout).toMatch(new RegExp(`^${drifted} {2}drift`, 'm'));
      expect(res.stdout).toMatch(new RegExp(`^${clean} {2}in sync`, 'm'));
      expect(res.stdout).toMatch(
        /\/metadata\/labels\/owner: \(unset\) -> "bob" {2}\(kubectl-label, Update, /,
      );
      // Progress goes to stderr, never into the report on stdout.
      expect(res.stderr).toContain(`[${drifted}] render`);
    });

    it('0 when an ignore rule hides the drift, and the report says which rule did', async () => {
      const file = join(dir, 'ignore.yaml');
      writeFileSync(
        file,
        'ignoreDifferences:\n  - description: owner labels are set by hand\n    kind: Deployment\n    jsonPointers: [/metadata/labels/owner]\n',
      );
      const res = await cli('--regions', drifted, '--ignore-file', file, '--output', 'json');
      expect(res.code, res.stderr).toBe(0);
      const [region] = json(res.stdout).regions;
      expect(region.findings).toEqual([]);
      expect(region.ignored).toEqual([
        expect.objectContaining({
          kind: 'Deployment',
          name: 'alfred-api',
          path: '/metadata/labels/owner',
          rule: '#1 (owner labels are set by hand)',
        }),
      ]);
    });
  });

  it('reads .mr-drift-ignore.yaml from the working directory when --ignore-file is not given', async () => {
    const here = join(dir, 'cwd-with-ignore-file');
    mkdirSync(here, { recursive: true });
    writeFileSync(
      join(here, '.mr-drift-ignore.yaml'),
      'ignoreDifferences:\n  - kind: Deployment\n    jsonPointers: [/metadata/labels/owner]\n',
    );
    const args = ['check', '--path', resolve(ws.dir), '--kubeconfig', kubeconfig];
    const withFile = await runCli([...args, '--regions', drifted, '--output', 'json'], {}, here);
    expect(withFile.code, withFile.stderr).toBe(0);
    const [region] = json(withFile.stdout).regions;
    expect(region.ignored?.map((i) => i.path)).toEqual(['/metadata/labels/owner']);
    // Elsewhere (no such file) the same drift is reported.
    const without = await runCli([...args, '--regions', drifted], {}, dir);
    expect(without.code, without.stderr).toBe(1);
  });

  describe('users', () => {
    it('the read-only user gets the same findings in read-only mode', async () => {
      const admin = json(
        (await cli('--regions', drifted, '--mode', 'read-only', '--output', 'json')).stdout,
      );
      const res = await cli(
        '--regions',
        drifted,
        '--context',
        `${drifted}=${drifted}-readonly`,
        '--mode',
        'read-only',
        '--output',
        'json',
      );
      expect(res.code, res.stderr).toBe(1);
      const ro = json(res.stdout);
      expect(ro.regions[0].context).toBe(`${drifted}-readonly`);
      expect(ro.regions[0].findings).toEqual(admin.regions[0].findings);
    });

    it('the read-only user gets a clear permission error in server-side mode, not "in sync"', async () => {
      const res = await cli(
        '--regions',
        `${drifted},${clean}`,
        '--context',
        `${drifted}=${drifted}-readonly`,
        '--output',
        'json',
      );
      expect(res.code).toBe(2);
      const report = json(res.stdout);
      const [ro, other] = report.regions;
      expect(ro.status).toBe('error');
      expect(ro.findings).toEqual([]);
      expect(ro.error).toMatch(
        /permission denied \(403 Forbidden\) to run the server-side apply dry-run/,
      );
      expect(ro.error).toMatch(/cannot patch resource/);
      expect(ro.error).toMatch(/hint: .*--mode read-only/);
      // The other region still completes.
      expect(other.status).toBe('in-sync');
    });

    it('the drift-checker user can run server-side mode', async () => {
      const res = await cli(
        '--regions',
        drifted,
        '--context',
        `${drifted}=${drifted}-drift-checker`,
        '--output',
        'json',
      );
      expect(res.code, res.stderr).toBe(1);
      expect(json(res.stdout).regions[0].findings.map((f) => f.name)).toEqual(['alfred-api']);
    });
  });

  describe('regions that cannot be checked are errors, and the others complete', () => {
    it('an unreachable cluster', async () => {
      const res = await cli(
        '--regions',
        `${drifted},${clean}`,
        '--context',
        `${drifted}=unreachable`,
        '--output',
        'json',
      );
      expect(res.code).toBe(2);
      const [bad, good] = json(res.stdout).regions;
      expect(bad).toMatchObject({
        name: drifted,
        status: 'error',
        context: 'unreachable',
        findings: [],
      });
      expect(bad.error).toMatch(/cannot reach https:\/\/127\.0\.0\.1:1/);
      expect(good.status).toBe('in-sync');
    });

    it('a cluster that rejects the credentials (401)', async () => {
      const res = await cli('--regions', drifted, '--context', `${drifted}=bad-token`);
      expect(res.code).toBe(2);
      expect(res.stdout).toMatch(/rejected the credentials .*401 Unauthorized/);
      expect(res.stdout).toContain('1 with errors');
    });

    it('a server whose certificate the kubeconfig does not trust', async () => {
      const res = await cli('--regions', drifted, '--context', `${drifted}=wrong-ca`);
      expect(res.code).toBe(2);
      expect(res.stdout).toMatch(/the server's TLS certificate is not trusted \([A-Z_]+: /);
      expect(res.stdout).toContain('certificate-authority(-data) belongs to this cluster');
      expect(res.stdout).not.toContain('Check that the cluster is up');
      expect(res.stdout).toContain('1 with errors');
    });

    it.each([
      ['accepts TCP but never starts TLS', 'silent-tcp', /no TLS connection within 1\.5 s/],
      ['finishes the handshake but never answers', 'silent-h2', /no answer from .* within 1\.5 s/],
    ])(
      'a server that %s: an error after --request-timeout, the other region completes',
      async (_what, context, message) => {
        const started = Date.now();
        const res = await cli(
          '--regions',
          `${drifted},${clean}`,
          '--context',
          `${drifted}=${context}`,
          '--request-timeout',
          '1.5',
          '--output',
          'json',
        );
        const seconds = (Date.now() - started) / 1000;
        expect(res.code, res.stderr).toBe(2);
        const [bad, good] = json(res.stdout).regions;
        expect(bad.status).toBe('error');
        expect(bad.error).toMatch(message);
        expect(bad.error).toContain('raise --request-timeout');
        expect(good.status).toBe('in-sync');
        // Bounded by the timeout (not the 30 s default, not forever); generous for CI.
        expect(seconds).toBeLessThan(20);
      },
    );

    it('a --request-timeout that is not a positive number', async () => {
      const res = await cli('--regions', drifted, '--request-timeout', '0');
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('expected a number of seconds greater than 0');
    });

    it('a region whose context is not in the kubeconfig', async () => {
      const res = await cli('--regions', drifted, '--context', `${drifted}=no-such-context`);
      expect(res.code).toBe(2);
      expect(res.stdout).toContain('kubeconfig has no context named "no-such-context"');
      expect(res.stdout).toMatch(
        /hint: Pass --context REGION=CONTEXT; contexts in the kubeconfig: .*unreachable/,
      );
    });
  });

  describe('bad input: exit 2, a message saying what to fix, nothing written', () => {
    const cases: Array<[string, string[], RegExp]> = [
      [
        'a path that does not exist',
        ['--path', 'no/such/dir'],
        /--path no\/such\/dir: no such file or folder/,
      ],
      [
        'an unknown region',
        ['--regions', 'mars'],
        /no overlay for region mars .*\nhint: Regions with an overlay: /,
      ],
      ['an unknown mode', ['--mode', 'fast'], /argument 'fast' is invalid/],
      [
        'a malformed --context',
        ['--context', 'us-east'],
        /--context us-east: expected REGION=CONTEXT/,
      ],
      [
        'a missing kubeconfig',
        ['--kubeconfig', 'no/such/kubeconfig'],
        /--kubeconfig no\/such\/kubeconfig: no such file/,
      ],
    ];
    it.each(cases)('%s', async (_name, args, message) => {
      const report = join(dir, `bad-${Date.now()}.json`);
      const res = await runCli([
        'check',
        '--path',
        ws.dir,
        '--kubeconfig',
        kubeconfig,
        '--regions',
        drifted,
        ...args,
        '--report-file',
        report,
      ]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
      expect(existsSync(report)).toBe(false);
    });

    it('the same object twice in the desired state: an error naming both places', async () => {
      const file = join(dir, 'twice.yaml');
      const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup, namespace: ${ws.namespace}}\n`;
      writeFileSync(file, `${cm}---\n${cm}`);
      const res = await runCli([
        'check',
        '--path',
        file,
        '--kubeconfig',
        kubeconfig,
        '--regions',
        drifted,
      ]);
      expect(res.code).toBe(2);
      expect(res.stdout).toContain(
        `defines an object twice: ConfigMap ${ws.namespace}/dup (${file}:1 and ${file}:5)`,
      );
    });

    it('an invalid ignore file, with file, line and field', async () => {
      const file = join(dir, 'bad-ignore.yaml');
      writeFileSync(
        file,
        'ignoreDifferences:\n  - kind: Deployment\n    jsonPointers: [spec/replicas]\n',
      );
      const res = await cli('--regions', drifted, '--ignore-file', file);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(
        `${file}:3:19: ignoreDifferences[0].jsonPointers: "spec/replicas" is not a JSON pointer`,
      );
    });
  });
});
