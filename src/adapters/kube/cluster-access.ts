/**
 * What it takes to talk to the cluster of one kubeconfig context: its URL, the TLS trust
 * and client certificate, and the request headers (bearer token, basic auth,
 * impersonation). Tokens, token files, certificates (inline or files), exec plugins, CA
 * bundles, `insecure-skip-tls-verify` and `tls-server-name` are handled here, and so is the
 * proxy (the cluster's `proxy-url`, else HTTPS_PROXY / NO_PROXY: proxy-rules.ts); the rare
 * legacy `auth-provider` entries are handed to @kubernetes/client-node, loaded only then.
 */
import { readFileSync } from 'node:fs';
import { ClusterAccessError } from '../../core/errors';
import { execCredential, ExecCredentialError } from './exec-credential';
import type { Kubeconfig, KubeconfigCluster, KubeconfigUser } from './kubeconfig';
import {
  chooseProxy,
  ProxySettingError,
  type ClusterProxy,
  type ProxyEnvironment,
} from './proxy-rules';

/** TLS settings for the connection to the API server. */
export interface TlsSettings {
  ca?: Buffer | string;
  cert?: Buffer | string;
  key?: Buffer | string;
  /** False with `insecure-skip-tls-verify`. */
  rejectUnauthorized: boolean;
  servername?: string;
}

/** Everything needed to send requests to one cluster as one user. */
export interface ClusterAccess {
  /** API server URL without a trailing slash. */
  server: string;
  /** The context's namespace; `default` when it names none. */
  namespace: string;
  /** The kubeconfig user name (for messages). */
  user: string;
  /** Headers every request carries (lower-case names). */
  headers: Record<string, string | string[]>;
  tls: TlsSettings;
  /** The proxy every connection goes through, if any. */
  proxy?: ClusterProxy;
}

/**
 * Resolves `contextName` into what requests need. Problems -> ClusterAccessError. `env`
 * holds the proxy variables (HTTPS_PROXY, NO_PROXY ...), the process's by default.
 */
export async function resolveAccess(
  kc: Kubeconfig,
  contextName: string,
  env: ProxyEnvironment = process.env,
): Promise<ClusterAccess> {
  const context = kc.contexts.get(contextName);
  if (!context) {
    const known = kc.contextNames();
    throw new ClusterAccessError(
      `kubeconfig has no context named "${contextName}"`,
      (say) =>
        `Pass ${say.setting('context', 'REGION=CONTEXT')}; contexts in the kubeconfig: ${known.length ? known.join(', ') : '(none)'}.`,
    );
  }
  const cluster = kc.clusters.get(context.cluster);
  if (!cluster)
    throw new ClusterAccessError(
      `context "${contextName}" names cluster "${context.cluster}", which the kubeconfig does not define`,
    );
  if (context.user !== undefined && !kc.users.has(context.user))
    throw new ClusterAccessError(
      `context "${contextName}" names user "${context.user}", which the kubeconfig does not define`,
    );
  const user: KubeconfigUser = context.user ? kc.users.get(context.user)! : { name: '(no user)' };
  const namespace = context.namespace ?? 'default';
  let proxy: ClusterProxy | undefined;
  try {
    proxy = chooseProxy(cluster.server, cluster.proxyUrl, env);
  } catch (e) {
    if (!(e instanceof ProxySettingError)) throw e;
    throw new ClusterAccessError(
      `cannot use the proxy for context "${contextName}": ${e.message}`,
      e.hint,
    );
  }
  const what = `the credentials of context "${contextName}"`;
  try {
    const access = user.authProvider
      ? await viaClientNode(cluster, user, namespace)
      : await direct(cluster, user, namespace);
    return proxy ? { ...access, proxy } : access;
  } catch (e) {
    if (e instanceof ClusterAccessError) throw e;
    if (e instanceof ExecCredentialError)
      throw new ClusterAccessError(`cannot load ${what}: ${e.message}`, e.hint);
    throw new ClusterAccessError(`cannot load ${what}: ${(e as Error).message}`);
  }
}

function readFile(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ClusterAccessError(
      `cannot read ${field} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'Fix the path in the kubeconfig (relative paths are relative to the kubeconfig file).',
    );
  }
}

async function direct(
  cluster: KubeconfigCluster,
  user: KubeconfigUser,
  namespace: string,
): Promise<ClusterAccess> {
  const tls: TlsSettings = { rejectUnauthorized: !cluster.insecureSkipTlsVerify };
  // With insecure-skip-tls-verify no CA is used (as in kubectl, which refuses both).
  if (!cluster.insecureSkipTlsVerify) {
    if (cluster.certificateAuthority)
      tls.ca = readFile(cluster.certificateAuthority, 'certificate-authority');
    else if (cluster.certificateAuthorityData) tls.ca = cluster.certificateAuthorityData;
  }
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  if (user.clientCertificate) tls.cert = readFile(user.clientCertificate, 'client-certificate');
  else if (user.clientCertificateData) tls.cert = user.clientCertificateData;
  if (user.clientKey) tls.key = readFile(user.clientKey, 'client-key');
  else if (user.clientKeyData) tls.key = user.clientKeyData;

  const headers: Record<string, string | string[]> = {};
  let token = user.token;
  if (!token && user.tokenFile)
    token = readFile(user.tokenFile, 'tokenFile').toString('utf8').trim();
  if (user.exec) {
    const credential = await execCredential({ ...user, exec: user.exec }, cluster);
    if (credential.token) token = credential.token;
    if (credential.clientCertificate && credential.clientKey) {
      tls.cert = credential.clientCertificate;
      tls.key = credential.clientKey;
    }
  }
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  if (user.as) headers['impersonate-user'] = user.as;
  if (user.asGroups) headers['impersonate-group'] = user.asGroups;
  if (user.asUid) headers['impersonate-uid'] = user.asUid;
  return { server: cluster.server, namespace, user: user.name, headers, tls };
}

/**
 * Legacy `auth-provider` entries (gcp, azure, oidc): @kubernetes/client-node implements
 * them; it is loaded only for these.
 */
async function viaClientNode(
  cluster: KubeconfigCluster,
  user: KubeconfigUser,
  namespace: string,
): Promise<ClusterAccess> {
  const { clientNodeOptions } = await import('./client-node-auth');
  const opts = await clientNodeOptions(cluster, user, namespace);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  if (user.tokenFile && !headers.authorization)
    headers.authorization = `Bearer ${readFile(user.tokenFile, 'tokenFile').toString('utf8').trim()}`;
  const tls: TlsSettings = {
    rejectUnauthorized: opts.rejectUnauthorized ?? !cluster.insecureSkipTlsVerify,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.cert ? { cert: opts.cert } : {}),
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.servername ? { servername: opts.servername } : {}),
  };
  return { server: cluster.server, namespace, user: user.name, headers, tls };
}
