import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseQuantity, quantitiesEqual } from '../../src/core/normalize/quantity';

// Quantities as written in a manifest and as kube-apiserver stored them (recorded).
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/recorded-quantities.json', import.meta.url), 'utf8'),
) as {
  server: string;
  pairs: Array<{ written: string; stored: string }>;
};

describe('resource quantities', () => {
  it('equals every form the server canonicalised it to', () => {
    expect(recorded.pairs.length).toBeGreaterThan(10);
    for (const { written, stored } of recorded.pairs) {
      expect(quantitiesEqual(written, stored), `${written} vs ${stored}`).toBe(true);
      // Numbers in YAML (cpu: 1) compare like their text.
      if (/^[\d.]+$/.test(written)) expect(quantitiesEqual(Number(written), stored)).toBe(true);
    }
  });

  it('tells different amounts apart', () => {
    const stored = recorded.pairs.map((p) => p.stored);
    for (let i = 0; i < stored.length; i++) {
      for (let j = 0; j < stored.length; j++) {
        const same = parseQuantity(stored[i])!;
        const other = parseQuantity(stored[j])!;
        const equalValue = same.num * other.den === other.num * same.den;
        expect(quantitiesEqual(stored[i], stored[j]), `${stored[i]} vs ${stored[j]}`).toBe(
          equalValue,
        );
      }
    }
    expect(quantitiesEqual('1Gi', '1G')).toBe(false);
    expect(quantitiesEqual('500m', '0.501')).toBe(false);
  });

  it('rounds up to milli precision as the server does', () => {
    expect(quantitiesEqual('0.0001', '1m')).toBe(true);
    expect(quantitiesEqual('1.0001', '1001m')).toBe(true);
  });

  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1.2.3', '1Gb', '--1', '1 Gi', null, true, {}]) {
      expect(parseQuantity(bad), JSON.stringify(bad)).toBeUndefined();
      expect(quantitiesEqual(bad, bad)).toBe(false);
    }
  });
});
