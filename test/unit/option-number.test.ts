import { describe, expect, it } from 'vitest';
import { readCount, readSeconds } from '../../src/core/text/option-number';

describe('option numbers, read alike by the CLI and the Action', () => {
  it('seconds: any number above 0, fractions allowed', () => {
    expect(readSeconds('30')).toBe(30);
    expect(readSeconds(' 2.5 ')).toBe(2.5);
    expect(readSeconds('1e3')).toBe(1000);
    for (const bad of ['', '  ', '0', '-1', 'soon', 'Infinity', 'NaN', '30s'])
      expect(readSeconds(bad), bad).toBeUndefined();
  });

  it('counts: whole numbers of at least 1, written as digits', () => {
    expect(readCount('8')).toBe(8);
    expect(readCount(' 12 ')).toBe(12);
    for (const bad of ['', '0', '-3', '2.5', '8.0', '1e1', 'many'])
      expect(readCount(bad), bad).toBeUndefined();
  });
});
