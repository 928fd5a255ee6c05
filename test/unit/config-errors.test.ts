import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/parse-config';
import { ConfigError, type Problem } from '../../src/core/errors';

/**
 * Bad configs: each must fail with a ConfigError whose problems name the file, the line
 * and the field, and say what is expected. Variants are made from the in-cluster golden
 * config (the bundled config before its production sections: one shard per region, simple
 * StatefulSets) by replacing one piece of text, so the line of the mistake is known.
 */
const bundled = readFileSync(
  join(import.meta.dirname, '../golden/argocd-in-cluster/input/mr-drift.yaml'),
  'utf8',
);
const FILE = 'mr-drift.yaml';

function problemsOf(text: string): Problem[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

/** Replaces exactly one occurrence (so a typo in the test cannot silently do nothing). */
function variant(find: string | RegExp, replace: string, text = bundled): string {
  const count =
    typeof find === 'string'
      ? text.split(find).length - 1
      : (text.match(new RegExp(find, 'g')) ?? []).length;
  expect(count, `"${String(find)}" occurs once in the config`).toBe(1);
  return text.replace(find, replace);
}

function lineOf(text: string, needle: string): number {
  const idx = text.indexOf(needle);
  expect(idx).toBeGreaterThanOrEqual(0);
  return text.slice(0, idx).split('\n').length;
}

describe('the bundled config', () => {
  it('is valid, frozen, with defaults filled in', () => {
    const c = parseConfig(bundled, FILE);
    expect(c.regions.map((r) => r.name)).toEqual(['us-east', 'eu-west', 'ap-southeast']);
    expect(c.database.shards).toBe(4);
    expect(c.database.replicated).toEqual([]);
    expect(c.app.image.allowLatestTag).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.regions[0].replicas)).toBe(true);
  });

  it('a minimal config gets every default', () => {
    const c = parseConfig(
      variant(
        /\ngitops:[\s\S]*?\n\ndatabase:/,
        '\ngitops:\n  engine: flux\n  repoURL: https://github.com/a/b.git\n  revision: main\n  path: overlays\n\ndatabase:',
      ),
      FILE,
    );
    expect(c.gitops.flux).toEqual({
      layout: 'hub',
      namespace: 'flux-system',
      interval: '5m',
      timeout: '5m',
    });
    expect(c.gitops.argocd).toEqual({ namespace: 'argocd', project: 'alfred' });
  });
});

describe('repoURL', () => {
  it('accepts plain http:// for a server on this machine only (a local test Git server)', () => {
    for (const url of [
      'http://127.0.0.1:41234/gitops.git',
      'http://localhost:8080/gitops.git',
      'http://[::1]:9418/gitops.git',
    ]) {
      const c = parseConfig(
        variant('repoURL: https://github.com/alfred/mr-drift.git', `repoURL: ${url}`),
        FILE,
      );
      expect(c.gitops.repoURL).toBe(url);
    }
  });
});

describe('bad configs: file, line, field and what is expected', () => {
  const cases: {
    name: string;
    text: () => string;
    field?: string;
    at: string | number; // text on the offending line, or a line number
    message: RegExp;
  }[] = [
    {
      name: 'YAML syntax error',
      text: () => variant('shards: [db-3]', 'shards: [db-3'),
      // YAML notices the unclosed list on the next line, a mapping key inside it.
      at: '    traffic: 100\n    routing: { awsRegion: eu-west-1 }',
      message: /YAML syntax error/,
    },
    {
      name: 'duplicate key',
      text: () => variant('  namespace: alfred\n', '  namespace: alfred\n  namespace: other\n'),
      at: 'namespace: other',
      message: /duplicate key `namespace`/,
    },
    {
      name: 'unknown field, with a suggestion',
      text: () => variant('    wave: 2\n', '    wave: 2\n    replica: 3\n'),
      field: 'regions[1].replica',
      at: 'replica: 3',
      message: /unknown field \(did you mean `replicas`\?\); allowed here: name, cluster/,
    },
    {
      name: 'wrong type',
      text: () => variant('    wave: 2\n', '    wave: two\n'),
      field: 'regions[1].wave',
      at: 'wave: two',
      message: /expected integer, got string "two"/,
    },
    {
      name: 'value not in the allowed set',
      text: () => variant('engine: argocd # or flux', 'engine: jenkins'),
      field: 'gitops.engine',
      at: 'engine: jenkins',
      message: /expected one of "argocd", "flux", got "jenkins"/,
    },
    {
      name: 'plain http:// to a host on the network',
      text: () =>
        variant(
          'repoURL: https://github.com/alfred/mr-drift.git',
          'repoURL: http://git.example.com/alfred/mr-drift.git',
        ),
      field: 'gitops.repoURL',
      at: 'repoURL: http://git.example.com',
      message: /http:\/\/ only for a server on this machine/,
    },
    {
      name: 'plain http:// to a name that only starts like loopback',
      text: () =>
        variant(
          'repoURL: https://github.com/alfred/mr-drift.git',
          'repoURL: http://127.0.0.1.example.com/gitops.git',
        ),
      field: 'gitops.repoURL',
      at: 'repoURL: http://127.0.0.1.example.com',
      message: /http:\/\/ only for a server on this machine/,
    },
    {
      name: 'missing required field',
      text: () => variant('    host: eu-west.alfred.example.com\n', ''),
      field: 'regions[1].host',
      at: '  - name: eu-west',
      message: /is required but missing/,
    },
    {
      name: 'duplicate region',
      text: () => variant('- name: eu-west', '- name: us-east'),
      field: 'regions[1].name',
      at: '  - name: us-east\n    cluster:\n      server: https://eu-west',
      message: /duplicate region "us-east": already defined at regions\[0\]/,
    },
    {
      name: 'shard in two regions',
      text: () => variant('shards: [db-3]', 'shards: [db-3, db-1]'),
      field: 'regions[1].shards[1]',
      at: 'shards: [db-3, db-1]',
      message: /shard db-1 is already placed in region "us-east".*database\.replicated/,
    },
    {
      name: 'invalid (non DNS-1123) region name',
      text: () => variant('- name: eu-west', '- name: EU_West'),
      field: 'regions[1].name',
      at: 'name: EU_West',
      message: /expected a DNS-1123 label.*got "EU_West"/,
    },
    {
      name: 'a value that tries to inject YAML keys',
      text: () =>
        variant(
          'host: eu-west.alfred.example.com',
          'host: "eu-west.alfred.example.com\\nkind: Secret\\n---\\napiVersion: v1"',
        ),
      field: 'regions[1].host',
      at: 'kind: Secret',
      message: /expected a fully qualified host name/,
    },
    {
      name: 'the latest tag without allowLatestTag',
      text: () => variant("tag: '1.42.0'", 'tag: latest'),
      field: 'app.image.tag',
      at: 'tag: latest',
      message: /`latest` tag is not reproducible/,
    },
    {
      name: 'waves not contiguous from 1',
      text: () => variant('    wave: 3\n', '    wave: 4\n'),
      field: 'regions[2].wave',
      at: 'wave: 4',
      message: /waves must be contiguous from 1: no region has wave 3/,
    },
    {
      name: 'a shard that does not exist',
      text: () => variant('shards: [db-4]', 'shards: [db-4, db-9]'),
      field: 'regions[2].shards[1]',
      at: 'shards: [db-4, db-9]',
      message: /shard db-9 does not exist: database.shards is 4 \(db-1..db-4\)/,
    },
    {
      name: 'a shard placed in no region',
      text: () => variant('shards: [db-4]', 'shards: []'),
      field: 'database.shards',
      at: 'shards: 4',
      message: /shard db-4 is not placed in any region/,
    },
    {
      name: 'managed database without an endpoint for every shard',
      text: () =>
        variant(
          'mode: in-cluster # or managed (then list managed.endpoints)',
          'mode: managed\n  managed:\n    endpoints:\n      db-1: db-1.rds.example.com',
        ),
      field: 'database.managed.endpoints',
      at: 'db-1: db-1.rds.example.com',
      message: /managed mode needs an endpoint for every shard: db-2 has none/,
    },
    {
      name: 'replicas min above max',
      text: () => variant('replicas: { min: 2, max: 8 }', 'replicas: { min: 9, max: 8 }'),
      field: 'regions[1].replicas',
      at: 'replicas: { min: 9, max: 8 }',
      message: /min \(9\) is greater than max \(8\)/,
    },
    {
      name: 'two regions on one public host',
      text: () => variant('host: eu-west.alfred.example.com', 'host: us-east.alfred.example.com'),
      field: 'regions[1].host',
      at: '    host: us-east.alfred.example.com\n    shards: [db-3]',
      message: /already used by regions\[0\]/,
    },
    {
      name: 'Argo CD regions that mix cluster server and name',
      text: () =>
        variant(
          '      server: https://eu-west.k8s.alfred.example.com',
          '      name: eu-west-cluster',
        ),
      field: 'regions[1].cluster',
      at: 'name: eu-west-cluster',
      message: /all by `server` or all by `name`/,
    },
    {
      name: 'a cluster with both server and name',
      text: () =>
        variant(
          '      server: https://eu-west.k8s.alfred.example.com',
          '      server: https://eu-west.k8s.alfred.example.com\n      name: eu',
        ),
      field: 'regions[1].cluster',
      at: 'server: https://eu-west',
      message: /set exactly one of `server`/,
    },
    {
      name: 'an app name too long for the Service names',
      text: () => variant('  name: alfred\n', `  name: ${'a'.repeat(60)}\n`),
      field: 'app.name',
      at: `name: ${'a'.repeat(60)}`,
      message: /would exceed 63 characters/,
    },
    {
      name: 'a list where a mapping is expected',
      text: () => variant('    replicas: { min: 2, max: 6 }', '    replicas: [2, 6]'),
      field: 'regions[2].replicas',
      at: 'replicas: [2, 6]',
      message: /expected object, got a list/,
    },
    {
      name: 'an empty file',
      text: () => '# nothing here\n',
      at: 1,
      message: /the file is empty/,
    },
  ];

  it('covers at least 15 distinct bad configs', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('$name', ({ text, field, at, message }) => {
    const source = text();
    const problems = problemsOf(source);
    const match = problems.find((p) => message.test(p.message));
    expect(match, `problems were: ${JSON.stringify(problems, null, 1)}`).toBeDefined();
    expect(match!.file).toBe(FILE);
    expect(match!.line).toBe(typeof at === 'number' ? at : lineOf(source, at));
    if (field) expect(match!.field).toBe(field);
  });
});

describe('all problems at once', () => {
  it('reports every problem of a config in one error, in file order', () => {
    let text = variant("tag: '1.42.0'", 'tag: latest');
    text = variant('- name: eu-west', '- name: us-east', text);
    text = variant('    wave: 3\n', '    wave: 5\n', text);
    text = variant('  port: 8080\n', '  port: 80\n  colour: blue\n', text);
    const problems = problemsOf(text);
    expect(problems.map((p) => p.field)).toEqual([
      'app.image.tag',
      'app.port',
      'app.colour',
      'regions[1].name',
      'regions[2].wave',
    ]);
    const lines = problems.map((p) => p.line!);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
    let message = '';
    try {
      parseConfig(text, FILE);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /^5 problems in the config:\n {2}mr-drift\.yaml:\d+:\d+: app\.image\.tag: /,
    );
  });
});

describe('gitops.ignoreDifferences', () => {
  const withRules = (rules: string) =>
    variant('    timeout: 5m\n', `    timeout: 5m\n  ignoreDifferences:\n${rules}`);

  it('accepts Argo CD rules', () => {
    const text = withRules(
      [
        '    - description: the mesh injects a sidecar',
        '      group: apps',
        '      kind: Deployment',
        '      jqPathExpressions: [\'.spec.template.spec.containers[] | select(.name == "istio-proxy")\']',
        '',
      ].join('\n'),
    );
    expect(parseConfig(text, FILE).gitops.ignoreDifferences).toEqual([
      {
        description: 'the mesh injects a sidecar',
        group: 'apps',
        kind: 'Deployment',
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "istio-proxy")'],
      },
    ]);
    expect(parseConfig(bundled, FILE).gitops.ignoreDifferences).toEqual([]);
  });

  it('names file, line and field of a bad pointer, jq, a missing kind and a template', () => {
    const text = withRules(
      [
        '    - kind: Deployment',
        '      jsonPointers: [spec/replicas]',
        '    - kind: ConfigMap',
        '      jqPathExpressions: [".data | .[$key]"]',
        '    - group: apps',
        '      managedFieldsManagers: [hpa]',
        '    - kind: Secret',
        '      jqPathExpressions: [\'.data["{{.region}}"]\']',
        '',
      ].join('\n'),
    );
    const at = (needle: string) => lineOf(text, needle);
    expect(
      problemsOf(text).map((p) => `${p.line}: ${p.field}: ${p.message.split(':')[0]}`),
    ).toEqual([
      `${at('spec/replicas')}: gitops.ignoreDifferences[0].jsonPointers[0]: expected a JSON pointer starting with /, got "spec/replicas"`,
      `${at('.[$key]')}: gitops.ignoreDifferences[1].jqPathExpressions[0]: ".data | .[$key]"`,
      `${at('- group: apps')}: gitops.ignoreDifferences[2].kind: is required but missing`,
      `${at('{{.region}}')}: gitops.ignoreDifferences[3].jqPathExpressions[0]: \`{{\` would be read as a template by the ApplicationSet controller; write the expression without it`,
    ]);
  });
});
