import { describe, expect, it } from 'vitest';
import { renderText, PLAIN_STYLE, type TextStyle } from '../../src/core/report/text';
import { renderMarkdownReport } from '../../src/core/report/markdown';
import { reportExitCode } from '../../src/core/report/model';
import { scrubSecretValues, secretValueForms } from '../../src/core/compare/secret-redaction';
import { runFingerprint } from '../../src/pipeline/run-check';
import { recordedReport } from './fixtures/build-report';
import { CHANGED_SECRET, SEEDED_SECRET } from './fixtures/scenario';

const secretForms = [SEEDED_SECRET, CHANGED_SECRET].flatMap((v) => [
  v,
  Buffer.from(v).toString('base64'),
  Buffer.from(`token-${v}`).toString('base64'),
]);

describe('report outputs', () => {
  it('text: one line per finding and field, with who and when, and a summary', () => {
    const report = recordedReport('server-side');
    const text = renderText(report);
    expect(text).toMatch(/^us-east {2}drift {2}\(\d+ objects; 1 missing, 4 changed, 1 extra\)$/m);
    expect(text).toMatch(/^eu-west {2}in sync/m);
    expect(text).toMatch(/^ap-southeast {2}error/m);
    expect(text).toContain('  - v1 ConfigMap ');
    expect(text).toMatch(
      /\/spec\/template\/spec\/containers\/name=app\/image: "nginx:1\.25" -> "nginx:1\.26" {2}\(kubectl-set, Update, 20\d\d-/,
    );
    expect(text).toMatch(/\/metadata\/labels\/owner: \(unset\) -> "bob" {2}\(kubectl-label/);
    // An extra object names who made it and when (recorded: `kubectl create configmap`).
    expect(text).toMatch(
      /^ {2}\+ v1 ConfigMap \S+\/stray {2}extra {2}\(not in Git: prune candidate; made by kubectl-create, Update, 20\d\d-\d\d-\d\dT[\d:]+Z\)$/m,
    );
    expect(renderMarkdownReport(report)).toMatch(
      /\/stray<\/code> \(v1\) · in the cluster but not in Git\n\nMade by <code>kubectl-create<\/code> at 20\d\d-/,
    );
    expect(text).toContain('hint: Check that the cluster is up.');
    expect(text.endsWith('3 regions: 1 in sync, 1 with drift, 1 with errors.\n')).toBe(true);
    expect(reportExitCode(report)).toBe(2);
  });

  it('text: colours come from the style only', () => {
    const mark: TextStyle = Object.fromEntries(
      Object.keys(PLAIN_STYLE).map((k) => [k, (s: string) => `<${k}>${s}</${k}>`]),
    ) as unknown as TextStyle;
    const text = renderText(recordedReport('read-only'), mark);
    expect(text).toContain('<yellow>drift</yellow>');
    expect(text).toContain('<green>in sync</green>');
    expect(renderText(recordedReport('read-only'))).not.toMatch(/<\w+>/);
  });

  it.each(['server-side', 'read-only'] as const)(
    'no Secret value in text, JSON or Markdown (%s)',
    (mode) => {
      const report = recordedReport(mode);
      const secret = report.regions[0].findings.find((f) => f.kind === 'Secret')!;
      expect(secret.fields[0].redacted).toBe(true);
      for (const out of [
        renderText(report),
        JSON.stringify(report),
        renderMarkdownReport(report),
      ]) {
        for (const v of secretForms) expect(out).not.toContain(v);
      }
    },
  );
});

describe('secret protection helpers', () => {
  it('fingerprints are keyed per run, stable within one, and do not contain the value', () => {
    const a = runFingerprint();
    const b = runFingerprint();
    expect(a(SEEDED_SECRET)).toBe(a(SEEDED_SECRET));
    expect(a(SEEDED_SECRET)).not.toBe(a(CHANGED_SECRET));
    expect(a(SEEDED_SECRET)).not.toBe(b(SEEDED_SECRET));
    expect(a(SEEDED_SECRET)).toMatch(/^hmac:[0-9a-f]{12}$/);
  });

  it('scrubs every form of a Secret value from a message', () => {
    const forms = secretValueForms({
      data: { t: Buffer.from(SEEDED_SECRET).toString('base64') },
      stringData: { p: CHANGED_SECRET },
    });
    const message = `server said: bad value ${SEEDED_SECRET} / ${Buffer.from(CHANGED_SECRET).toString('base64')} / ${CHANGED_SECRET}`;
    const scrubbed = scrubSecretValues(message, forms);
    for (const v of secretForms) expect(scrubbed).not.toContain(v);
    expect(scrubbed).toBe('server said: bad value <redacted> / <redacted> / <redacted>');
  });
});
