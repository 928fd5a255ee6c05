import { describe, expect, it } from 'vitest';
import {
  outOfSyncResources,
  regionRollout,
  unhealthyObject,
  type Application,
} from '../cluster/engine/argocd';
import {
  clusterSecret,
  CNPG_CLUSTER_HEALTH,
  EXTERNAL_SECRET_HEALTH,
  hubObjects,
} from '../cluster/engine/argocd-hub';

/**
 * How the harness reads Argo CD's Applications (test/cluster/engine/argocd.ts): the phase
 * `deploy` records per region, the object it names on a timeout, and the OutOfSync list
 * the end-to-end tests compare with mr-drift's findings.
 */

const COMMIT = 'c'.repeat(40);
const OLD = 'a'.repeat(40);

function app(status: NonNullable<Application['status']>): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'alfred-eu-west', namespace: 'argocd' },
    status,
  };
}

describe('regionRollout', () => {
  it('is waiting while the ApplicationSet has made no Application', () => {
    expect(regionRollout('eu-west', undefined, COMMIT)).toMatchObject({ phase: 'waiting' });
  });

  it('is ready only when Synced at the commit, Healthy and without an operation', () => {
    const done = app({
      sync: { status: 'Synced', revision: COMMIT },
      health: { status: 'Healthy' },
      operationState: { phase: 'Succeeded', syncResult: { revision: COMMIT } },
    });
    expect(regionRollout('eu-west', done, COMMIT)).toEqual({
      region: 'eu-west',
      revision: COMMIT,
      phase: 'ready',
      message: 'Synced to ccccccc, Healthy',
    });
    // The same Application with a sync requested again is not done yet.
    expect(regionRollout('eu-west', { ...done, operation: { sync: {} } }, COMMIT).phase).toBe(
      'progressing',
    );
    // Synced at the previous commit: the new one has not started.
    expect(
      regionRollout(
        'eu-west',
        app({ sync: { status: 'OutOfSync', revision: COMMIT }, health: { status: 'Healthy' } }),
        COMMIT,
      ).phase,
    ).toBe('waiting');
  });

  it('is progressing while synced but not healthy, naming the object and its message', () => {
    const r = regionRollout(
      'eu-west',
      app({
        sync: { status: 'Synced', revision: COMMIT },
        health: { status: 'Progressing' },
        operationState: { phase: 'Succeeded', syncResult: { revision: COMMIT } },
        resources: [
          { kind: 'Service', namespace: 'alfred', name: 'alfred-api', status: 'Synced' },
          {
            group: 'apps',
            kind: 'StatefulSet',
            namespace: 'alfred',
            name: 'alfred-db-shard-3',
            status: 'Synced',
            health: { status: 'Progressing', message: 'Waiting for 1 pods to be ready...' },
          },
        ],
      }),
      COMMIT,
    );
    expect(r).toMatchObject({
      phase: 'progressing',
      unhealthy:
        'StatefulSet alfred/alfred-db-shard-3 (Progressing: Waiting for 1 pods to be ready...)',
    });
  });

  it('is failed when the sync of this commit failed, and not for an older commit', () => {
    const failed = (revision: string): Application =>
      app({
        sync: { status: 'OutOfSync', revision: COMMIT },
        operationState: {
          phase: 'Failed',
          message: 'one or more objects failed to apply',
          operation: { sync: { revision } },
        },
      });
    expect(regionRollout('eu-west', failed(COMMIT), COMMIT)).toMatchObject({
      phase: 'failed',
      message: 'sync Failed: one or more objects failed to apply',
    });
    expect(regionRollout('eu-west', failed(OLD), COMMIT).phase).toBe('waiting');
  });
});

describe('what Argo CD flags', () => {
  const resources = [
    { kind: 'StatefulSet', namespace: 'alfred', name: 'db', status: 'OutOfSync' },
    { kind: 'Namespace', name: 'alfred', status: 'Synced' },
    { kind: 'Deployment', namespace: 'alfred', name: 'api', status: 'OutOfSync' },
  ];

  it('lists the OutOfSync objects as Kind namespace/name, sorted', () => {
    expect(outOfSyncResources(app({ resources }))).toEqual([
      'Deployment alfred/api',
      'StatefulSet alfred/db',
    ]);
  });

  it('names an OutOfSync object when every object is healthy, else a condition', () => {
    expect(unhealthyObject(app({ resources }))).toBe('StatefulSet alfred/db (OutOfSync)');
    expect(
      unhealthyObject(
        app({ conditions: [{ type: 'ComparisonError', message: 'cluster\nunreachable' }] }),
      ),
    ).toBe('Application alfred-eu-west (ComparisonError: cluster unreachable)');
    expect(unhealthyObject(app({}))).toBeUndefined();
  });
});

describe('hub objects', () => {
  it('labels the settings so that Argo CD sees them, and overrides only the health of objects whose operators do not run here', () => {
    const [ns, cm, rbac] = hubObjects({ namespace: 'argocd', appResyncSeconds: 120 });
    expect(ns).toMatchObject({ kind: 'Namespace', metadata: { name: 'argocd' } });
    for (const o of [cm, rbac]) {
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'argocd' });
    }
    expect(cm.data).toEqual({
      'application.resourceTrackingMethod': 'annotation',
      'timeout.reconciliation': '120s',
      'resource.customizations.health.external-secrets.io_ExternalSecret': EXTERNAL_SECRET_HEALTH,
      'resource.customizations.health.postgresql.cnpg.io_Cluster': CNPG_CLUSTER_HEALTH,
    });
    // Upstream's verdicts stay for an ExternalSecret an operator has seen.
    expect(EXTERNAL_SECRET_HEALTH).toContain('hs.status = "Degraded"');
    expect(EXTERNAL_SECRET_HEALTH).toContain('hs.message = "Waiting for ExternalSecret"');
    // Only a Cluster without any status is let through.
    expect(CNPG_CLUSTER_HEALTH).toMatch(/if obj\.status == nil then\n {2}hs\.status = "Healthy"/);
    expect(CNPG_CLUSTER_HEALTH).toContain('hs.status = "Progressing"');
  });

  it('registers a region by its exact server URL, its client certificate and the app namespace', () => {
    const secret = clusterSecret(
      'argocd',
      {
        region: 'eu-west',
        server: 'https://127.0.0.1:6443',
        caPem: 'CA',
        users: { admin: { certPem: 'CERT', keyPem: 'KEY' } },
      } as never,
      ['alfred'],
    );
    expect(secret.metadata.labels).toMatchObject({
      'argocd.argoproj.io/secret-type': 'cluster',
    });
    const data = (secret as unknown as { stringData: Record<string, string> }).stringData;
    expect(data).toMatchObject({
      name: 'eu-west',
      server: 'https://127.0.0.1:6443',
      namespaces: 'alfred',
      clusterResources: 'true',
    });
    expect(JSON.parse(data.config)).toEqual({
      tlsClientConfig: {
        caData: Buffer.from('CA').toString('base64'),
        certData: Buffer.from('CERT').toString('base64'),
        keyData: Buffer.from('KEY').toString('base64'),
      },
    });
  });
});
