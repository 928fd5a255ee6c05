import { scrubSecretValues } from '../core/compare/secret-redaction';

/**
 * Replaces every occurrence of a known credential (the kubeconfig's tokens and keys, the
 * GitHub token) in the strings of a value with `***`, as the runner masks them in logs.
 * The runner does not mask a pull request comment, the job summary or the JSON report; so
 * whatever text reaches those (error messages from a cluster or a library, warnings) goes
 * through here first. Values under 6 characters are skipped: masking a 3-letter string
 * would garble the report while protecting nothing.
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length >= 6);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubSecretValues(v, list, '***');
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
