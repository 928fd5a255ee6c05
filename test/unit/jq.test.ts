import { describe, expect, it } from 'vitest';
import { compileDeletion, evaluateValues } from '../../src/core/jq/jq-eval';
import { JqSyntaxError, parseJq } from '../../src/core/jq/jq-parse';

/**
 * mr-drift's jq (src/core/jq): the cases gojq decides are in
 * test/integration/jq-agreement.test.ts; these pin what needs no gojq to check.
 */
describe('jq path expressions', () => {
  const doc = {
    spec: { containers: [{ name: 'api', env: [{ name: 'A' }] }, { name: 'istio-proxy' }] },
  };

  it('deletes every selected path at once, positions taken before any deletion', () => {
    expect(compileDeletion('.spec.containers[0], .spec.containers[1]').apply(doc)).toEqual({
      spec: { containers: [] },
    });
    expect(
      compileDeletion('.spec.containers[] | select(.name | startswith("istio"))').apply(doc),
    ).toEqual({ spec: { containers: [{ name: 'api', env: [{ name: 'A' }] }] } });
  });

  it('fails where gojq fails: iterating null, a path through a computed value', () => {
    expect(() => compileDeletion('.spec.containers[].env[]').apply(doc)).toThrow(
      /cannot iterate over: null/,
    );
    expect(() => compileDeletion('.spec.containers[] | .env // [] | .[]').apply(doc)).toThrow(
      /invalid path against/,
    );
    expect(compileDeletion('.spec.containers[].env[]?').apply(doc)).toEqual({
      spec: { containers: [{ name: 'api', env: [] }, { name: 'istio-proxy' }] },
    });
  });

  it('evaluates conditions as values', () => {
    expect(evaluateValues('[.spec.containers[].name] | IN(["api", "istio-proxy"])', doc)).toEqual([
      true,
    ]);
    expect(evaluateValues('.spec.containers | any(.name == "api")', doc)).toEqual([true]);
  });

  it.each([
    ['.a | .[$x]', 'variables ($name) are not supported in a path expression', 7],
    ['reduce .[] as $x (0; .)', '`reduce` is not supported in a path expression', 0],
    ['{a: 1}', 'object construction ({...}) is not supported in a path expression', 0],
    ['.a = 1', '= is not supported: a path expression selects fields, it does not set them', 3],
    ['.a[', 'unexpected end of the expression', 3],
    ['frobnicate(.a)', 'frobnicate/1 is not a supported function', 0],
    ['"\\(.a)"', 'string interpolation \\(...) is not supported', 1],
  ])('refuses %j at parse time', (src, message, offset) => {
    let err: unknown;
    try {
      parseJq(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JqSyntaxError);
    expect((err as JqSyntaxError).message).toBe(message);
    expect((err as JqSyntaxError).offset).toBe(offset);
  });
});
