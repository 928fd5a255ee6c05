/**
 * Numbers given as option text: the CLI's flags and the Action's inputs read them with
 * these, so both accept and refuse the same values, and word the refusal their own way.
 */

/** What a refused seconds value was expected to be. */
export const SECONDS_EXPECTED = 'expected a number of seconds greater than 0';
/** What a refused count was expected to be. */
export const COUNT_EXPECTED = 'expected a whole number of at least 1';

/** Seconds greater than 0 (fractions allowed, `2.5`); undefined for anything else. */
export function readSeconds(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A whole number of at least 1 (`8`, not `8.0` or `1e1`); undefined for anything else. */
export function readCount(text: string): number | undefined {
  return /^\s*\d+\s*$/.test(text) && Number(text) >= 1 ? Number(text) : undefined;
}
