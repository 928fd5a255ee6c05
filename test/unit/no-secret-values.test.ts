import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * No secret value is ever in a generated tree: every file of the committed overlays/ and
 * of every golden tree is scanned. Credentials reach the clusters as references only
 * (ExternalSecrets naming a store and a remote key, secretKeyRef env, Flux's SOPS key by
 * Secret name), so the scan refuses anything that could carry a value: a Secret object, a
 * kustomize secretGenerator, an ExternalSecret with template data, a literal env value
 * for a credential, key material, or a SOPS-encrypted payload.
 */
const root = join(import.meta.dirname, '../..');
const golden = join(root, 'test/golden');
const trees = [
  join(root, 'overlays'),
  ...readdirSync(golden)
    .filter((d) => existsSync(join(golden, d, 'expected')))
    .map((d) => join(golden, d, 'expected')),
];

type Node = Record<string, unknown>;

/** What in one file could hold a secret value; empty when it holds references only. */
function secretValueProblems(path: string, text: string): string[] {
  const problems: string[] = [];
  if (/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/.test(text)) {
    problems.push(`${path}: key material (PEM block)`);
  }
  if (/ENC\[(AES256_GCM|PGP)/.test(text) || /^sops:\s*$/m.test(text)) {
    problems.push(`${path}: a SOPS-encrypted payload`);
  }
  if (!path.endsWith('.yaml')) return problems;
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as unknown;
    if (!obj || typeof obj !== 'object') continue;
    const o = obj as Node;
    const name = (o.metadata as { name?: string } | undefined)?.name ?? '';
    const what = `${path}: ${String(o.kind)} ${name}`;
    if (o.kind === 'Secret') problems.push(`${what}: a Secret object`);
    if (o.kind === 'Kustomization' && 'secretGenerator' in o) {
      problems.push(`${what}: a kustomize secretGenerator`);
    }
    if (o.kind === 'ExternalSecret') {
      const spec = (o.spec ?? {}) as Node;
      const template = ((spec.target as Node | undefined)?.template ?? {}) as Node;
      if ('data' in template || 'templateFrom' in template) {
        problems.push(`${what}: template data (values written in Git)`);
      }
      for (const d of (spec.data ?? []) as Node[]) {
        if (!d.remoteRef) problems.push(`${what}: data entry without remoteRef`);
      }
    }
    walk(o, (node) => {
      // A container env entry for a credential must come from a Secret, never be a value.
      if (
        typeof node.name === 'string' &&
        /PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|PRIVATE_KEY/i.test(node.name) &&
        'value' in node
      ) {
        problems.push(`${what}: env ${node.name} has a literal value`);
      }
      for (const [k, v] of Object.entries(node)) {
        if (
          /^(password|passwd|token|apiToken|apiKey|privateKey|clientSecret)$/i.test(k) &&
          typeof v === 'string'
        ) {
          problems.push(`${what}: field ${k} holds a literal`);
        }
      }
    });
  }
  return problems;
}

function walk(value: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    visit(value as Node);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('no secret value in any generated tree', () => {
  it.each(trees.map((t) => [relative(root, t), t]))('%s holds references only', (_name, dir) => {
    const all = files(dir);
    expect(all.length).toBeGreaterThan(10);
    const problems = all.flatMap((f) =>
      secretValueProblems(relative(root, f), readFileSync(f, 'utf8')),
    );
    expect(problems).toEqual([]);
  });

  it('the trees that use External Secrets reference every credential from the store', () => {
    const withEso = trees.filter((t) =>
      files(t).some((f) => /external-secrets\.yaml$|kubeconfig-secret\.yaml$/.test(f)),
    );
    // The bundled tree, the k8gb/Flux hub case (kubeconfigs too), the Global Accelerator
    // case and the production case (the Redis password under a name of its own).
    expect(withEso.map((t) => relative(root, t)).sort()).toEqual([
      'overlays',
      'test/golden/argocd-bundled/expected',
      'test/golden/argocd-in-cluster/expected',
      'test/golden/argocd-production/expected',
      'test/golden/routing-aga-argocd/expected',
      'test/golden/routing-k8gb-flux-hub/expected',
    ]);
  });

  it('the scan finds each kind of value (so a pass above means something)', () => {
    const bad = [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: x\n',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: db\n    literals: [password=x]\n',
      'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: db\nspec:\n  target:\n    template:\n      data:\n        password: hunter2\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DB_PASSWORD\n              value: hunter2\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  token: ENC[AES256_GCM,data:abc]\n',
    ];
    for (const text of bad) expect(secretValueProblems('x.yaml', text), text).not.toEqual([]);
  });
});
