/** The noun for a count: `region` for 1, `regions` otherwise (an `s` added unless given). */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return n === 1 ? noun : nouns;
}

/** A count with its noun: `1 object`, `3 objects`. */
export function count(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${plural(n, noun, nouns)}`;
}
