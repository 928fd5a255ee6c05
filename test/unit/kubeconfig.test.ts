import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kubeconfig, loadKubeconfig, readInto } from '../../src/adapters/kube/kubeconfig';
import { resolveAccess } from '../../src/adapters/kube/cluster-access';
import { ClusterAccessError, KubeconfigError } from '../../src/core/errors';
import { openTransport } from '../../src/adapters/kube/transport';

// The kubeconfig reader and credential resolution without a cluster: file search and
// merging as kubectl does it, relative paths, every credential form, exec plugins (a real
// script), and messages that name file and field but never a value. The same forms are
// used against the real clusters in test/integration/kube-access.test.ts.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-drift-kubeconfig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, config: unknown): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

const cluster = (name: string, server = `https://${name}.example:6443`, extra = {}) => ({
  name,
  cluster: { server, ...extra },
});
const context = (name: string, clusterName: string, user?: string, namespace?: string) => ({
  name,
  context: { cluster: clusterName, ...(user ? { user } : {}), ...(namespace ? { namespace } : {}) },
});

describe('loadKubeconfig', () => {
  it('merges KUBECONFIG files like kubectl: the first definition and current-context win', () => {
    const a = write('merge/a.yaml', {
      'current-context': 'one',
      clusters: [cluster('c1', 'https://first:6443')],
      users: [{ name: 'u', user: { token: 'first-token' } }],
      contexts: [context('one', 'c1', 'u')],
    });
    const b = write('merge/b.yaml', {
      'current-context': 'two',
      clusters: [cluster('c1', 'https://second:6443'), cluster('c2')],
      users: [{ name: 'u', user: { token: 'second-token' } }],
      contexts: [context('two', 'c2', 'u', 'apps')],
    });
    const kc = loadKubeconfig(undefined, { kubeconfigVar: [a, b].join(':') });
    expect(kc.files).toEqual([a, b]);
    expect(kc.currentContext).toBe('one');
    expect(kc.clusters.get('c1')?.server).toBe('https://first:6443');
    expect(kc.users.get('u')?.token).toBe('first-token');
    expect(kc.contextNames()).toEqual(['one', 'two']);
    expect(kc.contexts.get('two')).toEqual({
      name: 'two',
      cluster: 'c2',
      user: 'u',
      namespace: 'apps',
    });
  });

  it('refuses a KUBECONFIG entry naming a missing file (a typo would check other clusters)', () => {
    const a = write('merge/a.yaml', {
      clusters: [cluster('c1')],
      contexts: [context('one', 'c1')],
    });
    const missing = join(dir, 'missing');
    expect(() => loadKubeconfig(undefined, { kubeconfigVar: [a, missing].join(':') })).toThrow(
      `KUBECONFIG names a file that does not exist: ${missing}`,
    );
  });

  it('falls back to ~/.kube/config, then the in-cluster ServiceAccount, else says what it looked for', () => {
    const home = join(dir, 'home');
    write('home/.kube/config', { clusters: [cluster('h')], contexts: [context('h', 'h')] });
    expect(loadKubeconfig(undefined, { home }).contextNames()).toEqual(['h']);

    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'pod-token\n');
    writeFileSync(join(sa, 'namespace'), 'ops');
    const inPod = loadKubeconfig(undefined, {
      home: join(dir, 'nohome'),
      serviceHost: '10.0.0.1',
      servicePort: '443',
      serviceAccountDir: sa,
    });
    expect(inPod.currentContext).toBe('inClusterContext');
    expect(inPod.clusters.get('inCluster')).toMatchObject({
      server: 'https://10.0.0.1:443',
      certificateAuthority: join(sa, 'ca.crt'),
    });
    expect(inPod.contexts.get('inClusterContext')?.namespace).toBe('ops');

    expect(() => loadKubeconfig(undefined, { home: join(dir, 'nohome') })).toThrow(
      `KUBECONFIG is not set, and ${join(dir, 'nohome')}/.kube/config does not exist`,
    );
  });

  it('resolves relative paths against the file that names them, exec commands with a slash too', () => {
    const file = write('rel/sub/config', {
      clusters: [cluster('c', 'https://x:6443', { 'certificate-authority': '../ca.crt' })],
      users: [
        {
          name: 'u',
          user: {
            'client-certificate': 'u.crt',
            'client-key': '/abs/u.key',
            tokenFile: 'token',
            exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/get-token' },
          },
        },
        { name: 'onpath', user: { exec: { apiVersion: 'v1', command: 'aws', args: ['eks'] } } },
      ],
      contexts: [context('c', 'c', 'u')],
    });
    const kc = loadKubeconfig(file);
    const sub = join(dir, 'rel/sub');
    expect(kc.clusters.get('c')?.certificateAuthority).toBe(join(dir, 'rel/ca.crt'));
    expect(kc.users.get('u')).toMatchObject({
      clientCertificate: join(sub, 'u.crt'),
      clientKey: '/abs/u.key',
      tokenFile: join(sub, 'token'),
      exec: { command: join(sub, 'bin/get-token'), args: [], env: [] },
    });
    expect(kc.users.get('onpath')?.exec?.command).toBe('aws');
  });

  it('names the file and field of a mistake, never a value', () => {
    const secret = 'c2VjcmV0LXRva2Vu';
    const cases: Array<[unknown, string]> = [
      [
        { clusters: [{ name: 'c', cluster: { 'certificate-authority-data': secret } }] },
        'clusters[0].cluster.server: missing',
      ],
      [{ users: [{ user: { token: secret } }] }, 'users[0].name: missing'],
      [
        { users: [{ name: 'u', user: { token: [secret] } }] },
        'users[0].user.token: expected a string',
      ],
      [
        { users: [{ name: 'u', user: { exec: { command: 'x' } } }] },
        'users[0].user.exec.apiVersion: missing',
      ],
      [
        { contexts: [{ name: 'x', context: { user: 'u' } }] },
        'contexts[0].context.cluster: missing',
      ],
      [{ clusters: { c: 1 } }, 'clusters: expected a list'],
      [`users:\n  - name: u\n    user: {token: ${secret}\n`, 'not valid YAML'],
    ];
    for (const [content, message] of cases) {
      const file = write('bad.yaml', content);
      try {
        loadKubeconfig(file);
        throw new Error(`expected a KubeconfigError for ${message}`);
      } catch (e) {
        expect(e).toBeInstanceOf(KubeconfigError);
        expect((e as Error).message).toContain(`${file}`);
        expect((e as Error).message).toContain(message);
        expect((e as Error).message).not.toContain(secret);
      }
    }
  });
});

describe('resolveAccess', () => {
  const kcOf = (config: unknown) => {
    const kc = new Kubeconfig(['test']);
    readInto(kc, stringify(config), join(dir, 'access.yaml'));
    return kc;
  };

  it('turns tokens, token files, basic auth and impersonation into headers; CA and certs into TLS', async () => {
    writeFileSync(join(dir, 'token-file'), 'from-a-file\n');
    writeFileSync(join(dir, 'ca.pem'), 'CA FILE');
    const kc = kcOf({
      clusters: [
        cluster('ca-file', 'https://a:6443/', { 'certificate-authority': 'ca.pem' }),
        cluster('ca-data', 'https://b:6443', {
          'certificate-authority-data': Buffer.from('CA DATA').toString('base64'),
          'tls-server-name': 'api.internal',
        }),
        cluster('insecure', 'https://c:6443', {
          'insecure-skip-tls-verify': true,
          'certificate-authority': 'ca.pem',
        }),
      ],
      users: [
        { name: 'token', user: { token: 'abc', as: 'jane', 'as-groups': ['ops', 'dev'] } },
        { name: 'file', user: { tokenFile: 'token-file' } },
        { name: 'basic', user: { username: 'ann', password: 'pw' } },
        {
          name: 'cert',
          user: {
            'client-certificate-data': Buffer.from('CERT').toString('base64'),
            'client-key-data': Buffer.from('KEY').toString('base64'),
          },
        },
      ],
      contexts: [
        context('token', 'ca-file', 'token', 'apps'),
        context('file', 'ca-data', 'file'),
        context('basic', 'insecure', 'basic'),
        context('cert', 'ca-data', 'cert'),
        context('nouser', 'ca-data'),
      ],
    });
    const token = await resolveAccess(kc, 'token');
    expect(token).toMatchObject({
      server: 'https://a:6443',
      namespace: 'apps',
      user: 'token',
      headers: {
        authorization: 'Bearer abc',
        'impersonate-user': 'jane',
        'impersonate-group': ['ops', 'dev'],
      },
      tls: { rejectUnauthorized: true },
    });
    expect(String(token.tls.ca)).toBe('CA FILE');
    const file = await resolveAccess(kc, 'file');
    expect(file.headers).toEqual({ authorization: 'Bearer from-a-file' });
    expect(file.namespace).toBe('default');
    expect(String(file.tls.ca)).toBe('CA DATA');
    expect(file.tls.servername).toBe('api.internal');
    const basic = await resolveAccess(kc, 'basic');
    expect(basic.headers).toEqual({
      authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}`,
    });
    expect(basic.tls).toEqual({ rejectUnauthorized: false });
    const cert = await resolveAccess(kc, 'cert');
    expect([String(cert.tls.cert), String(cert.tls.key)]).toEqual(['CERT', 'KEY']);
    expect(cert.headers).toEqual({});
    expect((await resolveAccess(kc, 'nouser')).headers).toEqual({});
  });

  it('a missing context, cluster, user or file is a ClusterAccessError with a hint', async () => {
    const kc = kcOf({
      clusters: [cluster('c', 'https://a:6443', { 'certificate-authority': 'no-such-ca.pem' })],
      contexts: [
        context('no-cluster', 'x'),
        context('no-user', 'c', 'ghost'),
        context('no-ca', 'c'),
      ],
    });
    const problem = async (name: string) => {
      try {
        await resolveAccess(kc, name);
      } catch (e) {
        expect(e).toBeInstanceOf(ClusterAccessError);
        return e as ClusterAccessError;
      }
      throw new Error(`expected a ClusterAccessError for ${name}`);
    };
    const missing = await problem('us-east');
    expect(missing.message).toBe('kubeconfig has no context named "us-east"');
    expect(missing.hint).toContain('contexts in the kubeconfig: no-cluster, no-user, no-ca');
    expect((await problem('no-cluster')).message).toContain(
      'names cluster "x", which the kubeconfig does not define',
    );
    expect((await problem('no-user')).message).toContain('names user "ghost"');
    expect((await problem('no-ca')).message).toContain(
      `cannot read certificate-authority ${join(dir, 'no-such-ca.pem')} (ENOENT)`,
    );
  });

  it('runs an exec plugin once per user, with KUBERNETES_EXEC_INFO and its env', async () => {
    const log = join(dir, 'plugin.log');
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      [
        '#!/bin/sh',
        `echo "$1 $PLUGIN_MODE $KUBERNETES_EXEC_INFO" >> ${log}`,
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}\'',
      ].join('\n'),
    );
    chmodSync(plugin, 0o755);
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: './plugin.sh',
      args: ['get-token'],
      env: [{ name: 'PLUGIN_MODE', value: 'test' }],
      provideClusterInfo: true,
    };
    const kc = kcOf({
      clusters: [cluster('a'), cluster('b')],
      users: [{ name: 'p', user: { exec } }],
      contexts: [context('a', 'a', 'p'), context('a2', 'a', 'p'), context('b', 'b', 'p')],
    });
    const [a, a2] = await Promise.all([resolveAccess(kc, 'a'), resolveAccess(kc, 'a2')]);
    expect(a.headers.authorization).toBe('Bearer from-plugin');
    expect(a2.headers.authorization).toBe('Bearer from-plugin');
    await resolveAccess(kc, 'b');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    // Once for cluster a (both contexts), once for cluster b (its own cluster info).
    expect(calls).toHaveLength(2);
    const [arg, mode, ...info] = calls[0].split(' ');
    expect([arg, mode]).toEqual(['get-token', 'test']);
    expect(JSON.parse(info.join(' '))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false, cluster: { server: 'https://a.example:6443' } },
    });
  });

  it('a failing or missing plugin names the command, never what it printed', async () => {
    const leaky = join(dir, 'leaky.sh');
    writeFileSync(leaky, '#!/bin/sh\necho "token=hunter2" >&2\necho "hunter2"\nexit 3\n');
    chmodSync(leaky, 0o755);
    const garbled = join(dir, 'garbled.sh');
    writeFileSync(garbled, '#!/bin/sh\necho \'{"status":{"note":"hunter2"}}\'\n');
    chmodSync(garbled, 0o755);
    const user = (name: string, command: string, installHint?: string) => ({
      name,
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command,
          ...(installHint ? { installHint } : {}),
        },
      },
    });
    const kc = kcOf({
      clusters: [cluster('c')],
      users: [
        user('leaky', leaky),
        user('garbled', garbled),
        user('absent', 'no-such-plugin-anywhere', 'Install it with: brew install thing'),
      ],
      contexts: [
        context('leaky', 'c', 'leaky'),
        context('garbled', 'c', 'garbled'),
        context('absent', 'c', 'absent'),
      ],
    });
    const messages: string[] = [];
    for (const name of ['leaky', 'garbled', 'absent']) {
      await resolveAccess(kc, name).then(
        () => expect.unreachable(`${name} should fail`),
        (e: ClusterAccessError) => {
          expect(e).toBeInstanceOf(ClusterAccessError);
          messages.push(`${e.message} | ${e.hint}`);
        },
      );
    }
    expect(messages[0]).toContain(
      `exec plugin \`${leaky}\` failed (exit code 3; its error output is not shown`,
    );
    expect(messages[1]).toContain(
      'printed no usable ExecCredential: its status has neither a token nor a client certificate and key',
    );
    expect(messages[2]).toContain(
      'exec plugin `no-such-plugin-anywhere` was not found | Install it with: brew install thing',
    );
    for (const m of messages) expect(m).not.toContain('hunter2');
  });
});

describe('transport', () => {
  it('speaks HTTP/1.1 to a server without HTTP/2, verifying it against the CA', async () => {
    // A throwaway CA-less self-signed certificate for localhost, made with openssl.
    const key = join(dir, 'srv.key');
    const crt = join(dir, 'srv.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        crt,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = createHttpsServer(
      { key: readFileSync(key), cert: readFileSync(crt) },
      (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            path: req.url,
            auth: req.headers.authorization,
            version: req.httpVersion,
          }),
        );
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const access = (servername?: string) => ({
        server: `https://127.0.0.1:${port}`,
        namespace: 'default',
        user: 'u',
        headers: { authorization: 'Bearer t' },
        tls: {
          ca: readFileSync(crt),
          rejectUnauthorized: true,
          ...(servername ? { servername } : {}),
        },
      });
      const t = openTransport(access(), 4);
      const res = await t.send({ method: 'GET', path: '/api?x=1', headers: {}, timeoutMs: 5_000 });
      expect(t.protocol).toBe('http/1.1');
      expect(JSON.parse(res.body.toString())).toEqual({
        path: '/api?x=1',
        auth: 'Bearer t',
        version: '1.1',
      });
      t.close();
      // The certificate is checked: a name it does not carry is refused.
      const wrong = openTransport(access('elsewhere.example'), 4);
      await expect(
        wrong.send({ method: 'GET', path: '/', headers: {}, timeoutMs: 5_000 }),
      ).rejects.toThrow(/elsewhere\.example/);
      wrong.close();
    } finally {
      server.close();
    }
  });
});
