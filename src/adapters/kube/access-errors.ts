/**
 * Failures to reach or use a cluster, translated at the edge into ClusterAccessError with
 * a hint saying what to do: an unreachable or silent server, a certificate that does not
 * verify, rejected credentials (401) or a missing permission (403).
 */
import { ClusterAccessError } from '../../core/errors';
import { KubeApiError, type KubeClient } from './kube-client';

/** Node's error codes for a server certificate that does not verify (the server was reached). */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What to do when the proxy (kubeconfig proxy-url, or HTTPS_PROXY and the like) fails. */
const BYPASS =
  "To reach this cluster without the proxy, list the server's host in NO_PROXY (when the proxy comes from HTTPS_PROXY or HTTP_PROXY) or remove the cluster's proxy-url from the kubeconfig.";
const PROXY_HINTS: Record<string, string> = {
  ProxyUnreachable: `Check the proxy's address and that it is running. ${BYPASS}`,
  ProxyAuthentication:
    "Give the proxy user and password in the proxy URL named above (http://user:password@host:port, special characters percent-encoded), or ask the proxy's owners which credentials it takes.",
  ProxyRefused: `The proxy would not connect to the API server: check that it allows tunnels to this host and port. ${BYPASS}`,
  ProxyTimeout: `Check that the proxy can reach the API server. ${BYPASS}`,
};

/** True for the failures that mean the cluster cannot be used at all (no connection, 401, 403). */
export function isAccessFailure(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && (e.status === 0 || e.status === 401 || e.status === 403);
}

/**
 * The region error for an access failure while trying to do `what`. `dryRun`: the request
 * was the server-side apply dry-run, whose 403 has its own remedy.
 */
export function accessFailure(
  e: KubeApiError,
  what: string,
  client: Pick<KubeClient, 'user'>,
  dryRun = false,
): ClusterAccessError {
  if (e.status === 0 && TLS_TRUST_CODES.has(e.reason)) {
    return new ClusterAccessError(
      `cannot ${what}: the server's TLS certificate is not trusted (${e.reason}: ${e.message})`,
      `The cluster answered, but its certificate does not verify against the certificate-authority in the kubeconfig. Check that the kubeconfig's certificate-authority(-data) belongs to this cluster and that the server address is the one the certificate was issued for.`,
    );
  }
  if (e.status === 0 && PROXY_HINTS[e.reason]) {
    return new ClusterAccessError(`cannot ${what}: ${e.message}`, PROXY_HINTS[e.reason]);
  }
  if (e.status === 0 && e.reason === 'Timeout') {
    return new ClusterAccessError(
      `cannot ${what}: ${e.message}`,
      (say) =>
        `Check that the cluster is up and reachable (a firewall that drops packets looks like this), or raise ${say.option('request-timeout')} if it is only slow.`,
    );
  }
  if (e.status === 0) {
    return new ClusterAccessError(
      `cannot ${what}: ${e.message}`,
      'Check that the cluster is up and reachable, and that the kubeconfig context points at it.',
    );
  }
  if (e.status === 401) {
    return new ClusterAccessError(
      `the cluster rejected the credentials of user "${client.user}" (401 Unauthorized) while trying to ${what}`,
      (say) =>
        `Refresh the credentials in the kubeconfig, or pick another context with ${say.setting('context', 'REGION=CONTEXT')}.`,
    );
  }
  return new ClusterAccessError(
    `permission denied (403 Forbidden) to ${what}: ${e.message}`,
    dryRun
      ? (say) =>
          `Server-side mode needs the \`patch\` verb on every kind in Git (the dry-run never writes, but RBAC cannot tell). Grant it, or run with ${say.setting('mode', 'read-only')}, which needs only get/list.`
      : `The check needs get and list on every kind in Git and list on the others (to find extra objects); grant them to user "${client.user}".`,
  );
}

/**
 * Runs a group of requests to do `what`; an unreachable server, 401 and 403 become the
 * region's ClusterAccessError, and any other refusal one that quotes the server's answer.
 */
export async function withAccessErrors<T>(
  client: Pick<KubeClient, 'user'>,
  what: string,
  requests: () => Promise<T>,
): Promise<T> {
  try {
    return await requests();
  } catch (e) {
    if (isAccessFailure(e)) throw accessFailure(e, what, client);
    if (e instanceof KubeApiError)
      throw new ClusterAccessError(
        `cannot ${what}: the server answered ${e.status} ${e.reason}: ${e.message}`,
      );
    throw e;
  }
}
