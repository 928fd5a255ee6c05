import type { Config } from '../config/types';

/**
 * Secrets as the templates see them. The tree holds references only: ExternalSecrets that
 * name a store and a remote key (the External Secrets Operator writes the Secret in the
 * cluster), and, for Flux, the name of the Secret holding the SOPS key. Never a value.
 */
export interface SecretsView {
  /** External Secrets Operator objects are generated. */
  externalSecrets: boolean;
  store: { kind: string; name: string } | null;
  refreshInterval: string;
  /** Flux `spec.decryption` on every generated Kustomization, or null. */
  sops: { provider: 'sops'; secretRef: string } | null;
}

/** Remote keys of one region (placeholders replaced), or null without External Secrets. */
export interface RegionSecretsView {
  database: string;
  cache: string;
  kubeconfig: string;
}

export function buildSecretsView(config: Config): SecretsView {
  const eso = config.secrets?.externalSecrets;
  const sops = config.secrets?.sops;
  return {
    externalSecrets: eso !== undefined,
    store: eso ? { kind: eso.store.kind, name: eso.store.name } : null,
    refreshInterval: eso?.refreshInterval ?? '1h',
    sops:
      sops && config.gitops.engine === 'flux'
        ? { provider: 'sops', secretRef: sops.secretRef }
        : null,
  };
}

export function buildRegionSecrets(config: Config, region: string): RegionSecretsView | null {
  const eso = config.secrets?.externalSecrets;
  if (!eso) return null;
  const fill = (key: string): string =>
    key.replace(/\{\{app\}\}/g, config.app.name).replace(/\{\{region\}\}/g, region);
  return {
    database: fill(eso.remoteKeys.database),
    cache: fill(eso.remoteKeys.cache),
    kubeconfig: fill(eso.remoteKeys.kubeconfig),
  };
}
