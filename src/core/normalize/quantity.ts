/**
 * Kubernetes resource quantities (`500m`, `1`, `1.0`, `1Gi`, `1024Mi`, `1e3`): the server
 * stores them in a canonical form, so a manifest's `cpu: 0.5` comes back as `500m` and
 * `memory: 1024Mi` as `1Gi`. Comparing by value, not by text, avoids that false drift.
 */

const QUANTITY =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** An exact rational value. */
interface Rational {
  num: bigint;
  den: bigint;
}

/** Parses a quantity (string or number) into an exact rational; undefined when not one. */
export function parseQuantity(v: unknown): Rational | undefined {
  const text =
    typeof v === 'number'
      ? Number.isFinite(v)
        ? String(v)
        : ''
      : typeof v === 'string'
        ? v.trim()
        : '';
  // String(1e21) gives exponent notation, which the grammar also accepts.
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, digits, binary, decimal, exponent] = m;
  const [whole, frac = ''] = digits.split('.');
  let num = BigInt(`${whole || '0'}${frac}`);
  let den = 10n ** BigInt(frac.length);
  if (sign === '-') num = -num;
  if (binary) num *= BINARY[binary];
  const exp = decimal ? DECIMAL_EXP[decimal] : exponent ? Number(exponent) : 0;
  if (Math.abs(exp) > 100) return undefined;
  if (exp > 0) num *= 10n ** BigInt(exp);
  else if (exp < 0) den *= 10n ** BigInt(-exp);
  return { num, den };
}

/** The value in thousandths, rounded up, as the server rounds resource quantities. */
function milli(r: Rational): bigint {
  const scaled = r.num * 1000n;
  const q = scaled / r.den;
  return scaled % r.den !== 0n && scaled > 0n ? q + 1n : q;
}

/**
 * True when two quantities are the same amount once the server has canonicalised them
 * (values are kept to milli precision, rounding up).
 */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  const ra = parseQuantity(a);
  const rb = parseQuantity(b);
  if (!ra || !rb) return false;
  return milli(ra) === milli(rb);
}
