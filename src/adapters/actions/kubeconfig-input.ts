import { parse } from 'yaml';
import { UsageError } from '../../core/errors';

/**
 * The `kubeconfig` input: the contents of a kubeconfig file (usually from a repository
 * secret), as YAML or base64 of YAML. It is decoded, its credentials are collected for
 * masking; kubeconfig-file.ts writes it to a private file and removes it again.
 *
 * Nothing here ever puts the input's text into an error message: a kubeconfig is
 * credentials from top to bottom.
 */
export interface DecodedKubeconfig {
  /** The kubeconfig YAML. */
  text: string;
  /** Values to mask in logs: the input as given, and every credential inside. */
  secrets: string[];
  /** Context names it defines, to check `contexts` against. */
  contexts: string[];
}

/** Decodes the `kubeconfig` input (plain YAML or base64 of it). */
export function decodeKubeconfigInput(raw: string): DecodedKubeconfig {
  const input = raw.trim();
  let text = input;
  let parsed = tryParse(input);
  if (!looksLikeKubeconfig(parsed) && /^[A-Za-z0-9+/=\s_-]+$/.test(input)) {
    const decoded = Buffer.from(input.replace(/\s+/g, ''), 'base64').toString('utf8');
    const fromBase64 = tryParse(decoded);
    if (looksLikeKubeconfig(fromBase64)) {
      text = decoded;
      parsed = fromBase64;
    }
  }
  if (!looksLikeKubeconfig(parsed)) {
    throw new UsageError(
      'input kubeconfig: not a kubeconfig (expected YAML with `clusters`, `users` and `contexts`, or base64 of it)',
      'Pass the file contents, e.g. `kubeconfig: ${{ secrets.KUBECONFIG }}` (plain or `base64 -w0`), or leave it empty to use KUBECONFIG / ~/.kube/config.',
    );
  }
  const secrets = new Set<string>([raw.trim(), text.trim()]);
  collectCredentials(parsed, secrets);
  const contexts = parsed.contexts
    .map((c) => (isRecord(c) && typeof c.name === 'string' ? c.name : undefined))
    .filter((n): n is string => n !== undefined);
  return { text, secrets: [...secrets].filter((s) => s.length >= 4), contexts };
}

function tryParse(text: string): unknown {
  try {
    return parse(text, { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

function looksLikeKubeconfig(x: unknown): x is Record<string, unknown> & { contexts: unknown[] } {
  return (
    isRecord(x) &&
    Array.isArray(x.contexts) &&
    (Array.isArray(x.clusters) || Array.isArray(x.users))
  );
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Keys under `users[].user` (and auth-provider config) that hold credentials. */
const CREDENTIAL_KEYS = new Set([
  'token',
  'password',
  'client-key-data',
  'client-certificate-data',
  'access-token',
  'refresh-token',
  'id-token',
  'client-secret',
]);

function collectCredentials(kubeconfig: Record<string, unknown>, out: Set<string>): void {
  const users = Array.isArray(kubeconfig.users) ? kubeconfig.users : [];
  for (const entry of users) {
    if (!isRecord(entry) || !isRecord(entry.user)) continue;
    walk(entry.user, out, false);
  }
}

function walk(node: unknown, out: Set<string>, all: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, out, all);
    return;
  }
  if (!isRecord(node)) {
    if (all && typeof node === 'string') out.add(node);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string' && (all || CREDENTIAL_KEYS.has(key))) {
      out.add(value);
    } else if (key === 'env' && Array.isArray(value)) {
      // Exec plugin environment: the values may be credentials, the names are not.
      for (const e of value) if (isRecord(e) && typeof e.value === 'string') out.add(e.value);
    } else {
      // Everything in an auth-provider's config is treated as secret.
      walk(value, out, all || key === 'config');
    }
  }
}
