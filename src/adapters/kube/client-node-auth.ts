/**
 * The one place that loads @kubernetes/client-node: for the kubeconfig entries mr-drift
 * does not implement itself, legacy `auth-provider` plugins. cluster-access.ts imports this
 * module lazily, so a check that needs none never loads client-node.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeconfigCluster, KubeconfigUser } from './kubeconfig';

/** What client-node works out for a request: headers and TLS material. */
export interface ClientNodeOptions {
  headers?: Record<string, string>;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** Asks client-node for the request options of one cluster and user. */
export async function clientNodeOptions(
  cluster: KubeconfigCluster,
  user: KubeconfigUser,
  namespace: string,
): Promise<ClientNodeOptions> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.server,
        skipTLSVerify: cluster.insecureSkipTlsVerify,
        ...(cluster.certificateAuthority ? { caFile: cluster.certificateAuthority } : {}),
        ...(cluster.certificateAuthorityData
          ? { caData: cluster.certificateAuthorityData.toString('base64') }
          : {}),
        ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
      },
    ],
    users: [
      {
        name: user.name,
        ...(user.clientCertificate ? { certFile: user.clientCertificate } : {}),
        ...(user.clientCertificateData
          ? { certData: user.clientCertificateData.toString('base64') }
          : {}),
        ...(user.clientKey ? { keyFile: user.clientKey } : {}),
        ...(user.clientKeyData ? { keyData: user.clientKeyData.toString('base64') } : {}),
        ...(user.token ? { token: user.token } : {}),
        ...(user.username !== undefined ? { username: user.username } : {}),
        ...(user.password !== undefined ? { password: user.password } : {}),
        ...(user.as ? { impersonateUser: user.as } : {}),
        ...(user.authProvider ? { authProvider: user.authProvider } : {}),
        ...(user.exec ? { exec: user.exec } : {}),
      },
    ],
    contexts: [{ name: 'mr-drift', cluster: cluster.name, user: user.name, namespace }],
    currentContext: 'mr-drift',
  });
  const opts: ClientNodeOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts;
}
