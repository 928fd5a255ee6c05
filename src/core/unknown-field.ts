/**
 * The message for a field a file may not have, shared by the config and the ignore file so
 * both say it the same way: the nearest allowed name when the field looks misspelt, then
 * every name allowed at that place.
 */
export function unknownFieldMessage(field: string, allowed: readonly string[]): string {
  const guess = closest(field, allowed);
  return `unknown field${guess ? ` (did you mean \`${guess}\`?)` : ''}; allowed here: ${allowed.join(', ')}`;
}

/** Suggests the allowed name nearest to a misspelt one (edit distance at most 2). */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
