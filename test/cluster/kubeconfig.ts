import { stringify } from 'yaml';

/**
 * The kubeconfig the harness writes: per region one cluster entry and three users, and
 * three contexts, so tests and people switch identity by context name alone:
 *
 * - `<region>`: admin (group system:masters, bypasses RBAC);
 * - `<region>-readonly`: get/list/watch on everything, Secrets included;
 * - `<region>-drift-checker`: exactly what `mr-drift check --mode server-side` needs.
 *
 * Certificates and keys are embedded, so the file is self-contained and can be copied
 * (e.g. into a CI secret) without the files under .cluster/.
 */

/** The identities every region has, by context suffix. */
export const USERS = ['admin', 'readonly', 'drift-checker'] as const;
export type UserName = (typeof USERS)[number];

/** The context for a region and identity: the admin context is the bare region name. */
export function contextName(region: string, user: UserName = 'admin'): string {
  return user === 'admin' ? region : `${region}-${user}`;
}

/** PEM text of one region's CA and each user's certificate and key. */
export interface RegionCredentials {
  region: string;
  server: string;
  caPem: string;
  users: Record<UserName, { certPem: string; keyPem: string }>;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Renders the kubeconfig YAML; the current context is the first region's admin. */
export function renderKubeconfig(regions: RegionCredentials[]): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': regions[0] ? contextName(regions[0].region) : '',
    clusters: regions.map((r) => ({
      name: r.region,
      cluster: { server: r.server, 'certificate-authority-data': b64(r.caPem) },
    })),
    users: regions.flatMap((r) =>
      USERS.map((u) => ({
        name: `${r.region}-${u}`,
        user: {
          'client-certificate-data': b64(r.users[u].certPem),
          'client-key-data': b64(r.users[u].keyPem),
        },
      })),
    ),
    contexts: regions.flatMap((r) =>
      USERS.map((u) => ({
        name: contextName(r.region, u),
        context: { cluster: r.region, user: `${r.region}-${u}`, namespace: 'default' },
      })),
    ),
  };
  return stringify(config, { lineWidth: 0 });
}
