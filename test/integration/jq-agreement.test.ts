import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../cluster/binaries';
import { JqSyntaxError } from '../../src/core/jq/jq-parse';
import { compileDeletion } from '../../src/core/jq/jq-eval';
import { toJson } from '../../src/core/jq/jq-values';
import type { JqValue } from '../../src/core/jq/jq-parse';
import { JQ_DOCUMENTS, JQ_EXPRESSIONS } from '../support/jq-cases';

/**
 * mr-drift evaluates Argo CD's `jqPathExpressions` itself (src/core/jq). Argo CD runs
 * `del(<expression>)` with gojq, so every case of the table (test/support/jq-cases.ts) is
 * run through the real gojq, built from the version Argo CD v3.2.11 pins
 * (test/cluster/go/gojq), and through mr-drift: both must give the same document, or both
 * fail. mr-drift refuses some constructs when it parses a rule (variables, `reduce`,
 * nested `del`); those are listed here, so a new refusal cannot hide as "both failed".
 */

const REFUSED = new Set([
  '.spec.template.spec.containers[] | select(.name == $x)',
  'del(.spec)',
  '.spec.replicas = 5',
  '.spec.replicas |= 5',
  '{a: .spec}',
  '"\\(.spec)"',
  'reduce .[] as $x (0; .)',
  '.spec.template.spec.containers[] | select(.name == "api") as $c | $c',
  'path(.a)',
  '.spec.template.spec.containers[',
  '.spec.template.spec.containers[] | select(.resources | contains({limits: {}}))',
]);

type Outcome = { doc: string } | { error: string };

function mrDrift(expression: string, doc: unknown): Outcome | 'refused' {
  let deletion;
  try {
    deletion = compileDeletion(expression);
  } catch (e) {
    if (e instanceof JqSyntaxError) return 'refused';
    throw e;
  }
  try {
    return { doc: toJson(deletion.apply(structuredClone(doc) as JqValue)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('jq: mr-drift agrees with gojq (Argo CD v3.2.11) on del(<expression>)', () => {
  let gojq: string;
  beforeAll(async () => {
    gojq = await ensureBinary('gojq');
  }, 600_000);

  const run = (expression: string, doc: unknown): Outcome => {
    const r = spawnSync(gojq, ['-c', `del(${expression})`], {
      input: JSON.stringify(doc),
      encoding: 'utf8',
    });
    if (r.status !== 0) return { error: r.stderr.trim() };
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    return { doc: toJson(JSON.parse(lines[0]) as JqValue) };
  };

  it('gives the same document, or fails too, on every case of the table', () => {
    const disagreements: string[] = [];
    const refused = new Set<string>();
    let cases = 0;
    let deleted = 0;
    for (const [name, doc] of Object.entries(JQ_DOCUMENTS)) {
      for (const expression of JQ_EXPRESSIONS) {
        cases++;
        const ours = mrDrift(expression, doc);
        if (ours === 'refused') {
          refused.add(expression);
          continue;
        }
        const theirs = run(expression, doc);
        const same = 'doc' in theirs ? 'doc' in ours && ours.doc === theirs.doc : 'error' in ours;
        if ('doc' in theirs && theirs.doc !== toJson(doc as JqValue)) deleted++;
        if (!same)
          disagreements.push(
            `[${name}] ${expression}\n  gojq:     ${JSON.stringify(theirs)}\n  mr-drift: ${JSON.stringify(ours)}`,
          );
      }
    }
    expect(disagreements).toEqual([]);
    expect([...refused].sort()).toEqual([...REFUSED].sort());
    // The table must exercise deletions, not only no-ops and failures.
    expect(cases).toBeGreaterThan(400);
    expect(deleted).toBeGreaterThan(100);
  });
});
