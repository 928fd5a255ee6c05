import { describe, expect, it } from 'vitest';
import { planAnnotations } from '../../src/core/report/annotations';
import { changed, field, region, report } from '../support/reports';

describe('planAnnotations', () => {
  it('puts region errors first, then drift per overlay file, most important first', () => {
    const r = report([
      region('us-east', [
        changed('api', [field('/spec/replicas', 3, 5)]),
        changed('web', [field('/spec/replicas', 3, 4)]),
      ]),
      region('eu-west', [
        changed('api', [field('/spec/replicas', 3, 0)], {
          source: 'overlays/regions/eu-west/kustomization.yaml',
          risks: ['replicas-to-zero'],
        }),
      ]),
      region('ap-southeast', [], { status: 'error', error: 'connection refused\nmore detail' }),
    ]);
    const a = planAnnotations(r);
    expect(a.map((x) => [x.level, x.title, x.file])).toEqual([
      ['error', 'mr-drift: could not check ap-southeast', undefined],
      [
        'warning',
        'mr-drift: risky drift in eu-west',
        'overlays/regions/eu-west/kustomization.yaml',
      ],
      ['warning', 'mr-drift: drift in us-east', 'overlays/regions/us-east/kustomization.yaml'],
    ]);
    expect(a[0].message).toBe('connection refused');

    // The hint says what to do: it comes along; a tool's output in between does not.
    const withHint = planAnnotations(
      report([
        region('us-east', [], {
          status: 'error',
          error:
            'kubectl kustomize failed:\n  accumulating resources\nhint: Fix the kustomization.',
        }),
      ]),
    );
    expect(withHint[0].message).toBe('kubectl kustomize failed:\nhint: Fix the kustomization.');
    expect(a[1].message).toContain('risk: replicas-to-zero');
    expect(a[2].message).toMatch(
      /^2 objects from this overlay differ in us-east: Deployment alfred\/api \(changed: \/spec\/replicas\)/,
    );
  });

  it('never puts field values into a message', () => {
    const r = report([
      region('us-east', [
        changed('db', [field('/data/password', 'fp:aaaa', 'fp:bbbb', { redacted: true })], {
          kind: 'Secret',
        }),
      ]),
    ]);
    const text = JSON.stringify(planAnnotations(r));
    expect(text).not.toContain('fp:aaaa');
    expect(text).not.toContain('fp:bbbb');
  });

  it('keeps within GitHub’s 10 per level and says how many more there are', () => {
    const regions = Array.from({ length: 14 }, (_, i) =>
      region(`r${String(i).padStart(2, '0')}`, [
        changed(
          'api',
          Array.from({ length: i + 1 }, (_, k) => field(`/f/${k}`, 1, 2)),
          {
            source: `overlays/regions/r${i}/kustomization.yaml`,
          },
        ),
      ]),
    );
    const a = planAnnotations(report(regions));
    expect(a).toHaveLength(10);
    // The most drifted objects come first.
    expect(a[0].title).toBe('mr-drift: drift in r13');
    expect(a[8].title).toBe('mr-drift: drift in r05');
    expect(a[9].title).toBe('mr-drift: 5 more');
    expect(a[9].message).toContain('5 more overlay files have drift');
  });
});
