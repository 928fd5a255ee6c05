/**
 * Runs a kubeconfig exec credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`,
 * `kubelogin` ...) as kubectl does: the command with its args and env, KUBERNETES_EXEC_INFO
 * describing the request, and an ExecCredential read from stdout. Each plugin runs once
 * per user and run (all regions of one user share it) while its credential is valid.
 *
 * Nothing the plugin prints is ever put into a message: stdout holds the credential, and
 * stderr may echo it.
 */
import { spawn } from 'node:child_process';
import type { KubeconfigCluster, KubeconfigExec, KubeconfigUser } from './kubeconfig';

/** What a plugin returned: a bearer token, or a client certificate and key (PEM). */
export interface ExecCredential {
  token?: string;
  clientCertificate?: string;
  clientKey?: string;
  /** When the credential expires (ms since the epoch), if the plugin said. */
  expires?: number;
}

/** A plugin that could not be run or gave no usable credential. */
export class ExecCredentialError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ExecCredentialError';
  }
}

/** Longest a plugin may take (a cloud CLI refreshing a session can be slow). */
const PLUGIN_TIMEOUT_MS = 120_000;

const cache = new Map<string, Promise<ExecCredential>>();

/** The credential of `user` from its exec plugin (cached per user and command while valid). */
export function execCredential(
  user: KubeconfigUser & { exec: KubeconfigExec },
  cluster: KubeconfigCluster,
): Promise<ExecCredential> {
  const key = JSON.stringify([user.name, user.exec, cluster.server]);
  const cached = cache.get(key);
  if (cached) {
    return cached.then((c) =>
      c.expires !== undefined && c.expires <= Date.now() + 10_000
        ? fresh(key, user.exec, cluster)
        : c,
    );
  }
  return fresh(key, user.exec, cluster);
}

function fresh(
  key: string,
  exec: KubeconfigExec,
  cluster: KubeconfigCluster,
): Promise<ExecCredential> {
  const pending = runPlugin(exec, cluster);
  cache.set(key, pending);
  pending.catch(() => cache.delete(key));
  return pending;
}

function runPlugin(exec: KubeconfigExec, cluster: KubeconfigCluster): Promise<ExecCredential> {
  const what = `the kubeconfig's exec plugin \`${exec.command}\``;
  if (exec.interactiveMode === 'Always') {
    return Promise.reject(
      new ExecCredentialError(
        `${what} needs an interactive terminal (interactiveMode: Always), which a drift check does not have`,
        'Log in first so the plugin has a cached credential, or use a kubeconfig with a token or certificate.',
      ),
    );
  }
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
              ...(cluster.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
              ...(cluster.certificateAuthorityData
                ? {
                    'certificate-authority-data':
                      cluster.certificateAuthorityData.toString('base64'),
                  }
                : {}),
              ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
            },
          }
        : {}),
    },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env) env[e.name] = e.value;
  return new Promise((done, fail) => {
    const child = spawn(exec.command, exec.args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PLUGIN_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    let errBytes = 0;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (errBytes += d.length));
    child.on('error', (e: NodeJS.ErrnoException) => {
      fail(
        new ExecCredentialError(
          e.code === 'ENOENT'
            ? `${what} was not found`
            : `${what} could not be started (${e.code ?? e.message})`,
          exec.installHint?.trim() || 'Install the plugin, or put it on PATH.',
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        fail(
          new ExecCredentialError(
            `${what} failed (${signal ? `killed by ${signal}` : `exit code ${code}`}${errBytes ? '; its error output is not shown, as it may hold credentials' : ''})`,
            `Run the plugin by hand to see why (e.g. an expired login).`,
          ),
        );
        return;
      }
      try {
        done(readCredential(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        fail(
          new ExecCredentialError(
            `${what} printed no usable ExecCredential: ${(e as Error).message}`,
          ),
        );
      }
    });
  });
}

/** The status of an ExecCredential; errors say what is missing, never what is there. */
function readCredential(text: string): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('its output is not JSON');
  }
  const status = (doc as { status?: unknown })?.status;
  if (typeof status !== 'object' || status === null) throw new Error('it has no status');
  const s = status as Record<string, unknown>;
  const out: ExecCredential = {};
  if (typeof s.token === 'string' && s.token !== '') out.token = s.token;
  if (typeof s.clientCertificateData === 'string' && typeof s.clientKeyData === 'string') {
    out.clientCertificate = s.clientCertificateData;
    out.clientKey = s.clientKeyData;
  }
  if (out.token === undefined && out.clientCertificate === undefined)
    throw new Error('its status has neither a token nor a client certificate and key');
  if (typeof s.expirationTimestamp === 'string') {
    const t = Date.parse(s.expirationTimestamp);
    if (Number.isFinite(t)) out.expires = t;
  }
  return out;
}
