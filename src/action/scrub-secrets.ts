/**
 * Replaces every occurrence of a known credential (the kubeconfig's tokens and keys, the
 * GitHub token) in the strings of a value with `***`. The runner masks these in logs, but
 * not in a pull request comment, the job summary or the JSON report; so whatever text
 * reaches those (error messages from a cluster or a library, warnings) goes through here
 * first. Short values are skipped: masking a 3-letter string would garble the report
 * while protecting nothing.
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= 6)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return list.reduce((t, s) => (t.includes(s) ? t.split(s).join('***') : t), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
