import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { TemplateError } from '../../src/core/errors';
import { createShapeReader } from '../../src/core/plan/yaml-shapes';

/** What the `yaml` library itself makes of the text: the reference for every case. */
const direct = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS() as unknown);

describe('createShapeReader', () => {
  it('files of one shape give back their own values', () => {
    const read = createShapeReader();
    const file = (name: string, port: number) =>
      `kind: Service\nmetadata:\n  name: ${JSON.stringify(name)}\nspec:\n  ports:\n    - port: ${port}\n`;
    const a = read(file('alfred-db-shard-1', 5432), 't', 'a.yaml');
    const b = read(file('alfred-db-shard-2', 5432), 't', 'b.yaml');
    expect(a.documents()).toEqual(direct(file('alfred-db-shard-1', 5432)));
    expect(b.documents()).toEqual(direct(file('alfred-db-shard-2', 5432)));
  });

  it('matches a direct parse for quoted keys, escapes, quotes inside other scalars, several documents', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: "a\\"b"',
      '  labels:',
      '    "shard": "db-1"',
      'data:',
      '  unicode: "caf\\u00e9 \\x41"',
      '  single: \'say "hi" twice\'',
      '  plain: 5" tall "really"',
      '  block: |',
      '    line with "quotes"',
      '    and "more"',
      '  number: 8080',
      '  quotedNumber: "8080"',
      '  yes: "true"',
      '---',
      '- op: replace',
      '  path: "/spec/replicas"',
      '---',
      '',
    ].join('\n');
    const rendered = createShapeReader()(text, 't', 'x.yaml');
    expect(rendered.documents()).toEqual(direct(text));
  });

  it('outlines keep only what identifies an object and how it scales', () => {
    const text = [
      'apiVersion: "apps/v1"',
      'kind: Deployment',
      'metadata:',
      '  name: "api"',
      '  labels: { a: "b" }',
      'spec:',
      '  replicas: 2',
      '  template: { spec: { containers: [] } }',
      '---',
      'apiVersion: autoscaling/v2',
      'kind: HorizontalPodAutoscaler',
      'metadata: { name: "api" }',
      'spec:',
      '  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: "api" }',
      '  maxReplicas: 4',
      '',
    ].join('\n');
    expect(createShapeReader()(text, 't', 'x.yaml').outlines()).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api' },
        spec: { replicas: 2 },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'api' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' } },
      },
    ]);
  });

  it('invalid YAML is a TemplateError naming the template and the file', () => {
    const read = createShapeReader();
    const err = (() => {
      try {
        read('a: 1\na: 2\n', 'templates/base/x.yaml.hbs', 'base/x.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(
      /^template templates\/base\/x\.yaml\.hbs: renders base\/x\.yaml as invalid YAML: /,
    );
  });
});
