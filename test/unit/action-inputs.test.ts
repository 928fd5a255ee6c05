import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INPUT_NAMES, OUTPUT_NAMES, readInputs } from '../../src/action/inputs';
import { decodeKubeconfigInput } from '../../src/adapters/actions/kubeconfig-input';
import {
  removeKubeconfigFile,
  writeKubeconfigFile,
} from '../../src/adapters/actions/kubeconfig-file';
import { UsageError } from '../../src/core/errors';

const root = new URL('../..', import.meta.url).pathname;
const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('readInputs', () => {
  it('applies the defaults of action.yml', () => {
    expect(readInputs(get({}))).toEqual({
      path: 'overlays',
      mode: 'server-side',
      failOnDrift: true,
      failOnPrChanges: false,
      comment: true,
      commentKey: 'default',
      requestTimeout: 30,
      renderTimeout: 120,
      parallelRegions: 8,
      issue: 'auto',
      issuePer: 'key',
      issueLabels: ['mr-drift'],
      issueAssignees: [],
    });
  });

  it('reads the drift issue inputs and refuses what GitHub would', () => {
    expect(
      readInputs(
        get({
          issue: 'true',
          'issue-per': 'region',
          'issue-title': 'Production drift',
          'issue-labels': 'drift, ops\ndrift',
          'issue-assignees': '@octocat, dev-ada',
        }),
      ),
    ).toMatchObject({
      issue: 'true',
      issuePer: 'region',
      issueTitle: 'Production drift',
      issueLabels: ['drift', 'ops'],
      issueAssignees: ['octocat', 'dev-ada'],
    });
    let message = '';
    try {
      readInputs(
        get({
          issue: 'yes',
          'issue-per': 'cluster',
          'issue-labels': 'x'.repeat(51),
          'issue-assignees': 'not a login, -dash',
          'issue-title': 't'.repeat(201),
        }),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('6 problems');
    for (const text of [
      'input issue: expected auto, true or false, got "yes"',
      'input issue-per: expected key or region, got "cluster"',
      'is longer than 50 characters',
      'input issue-assignees: "not a login" is not a GitHub login',
      'input issue-assignees: "-dash" is not a GitHub login',
      'input issue-title: at most 200 characters',
    ]) {
      expect(message).toContain(text);
    }
  });

  it('reads request-timeout in seconds and refuses anything but a positive number', () => {
    expect(readInputs(get({ 'request-timeout': '2.5' })).requestTimeout).toBe(2.5);
    for (const bad of ['0', '-1', 'ten', '30s'])
      expect(() => readInputs(get({ 'request-timeout': bad }))).toThrow(
        `input request-timeout: expected a number of seconds greater than 0, got "${bad}"`,
      );
  });

  it('reads render-timeout (default 120 s) and refuses anything but seconds above 0', () => {
    expect(readInputs(get({})).renderTimeout).toBe(120);
    expect(readInputs(get({ 'render-timeout': '900' })).renderTimeout).toBe(900);
    for (const bad of ['0', '-5', 'later'])
      expect(() => readInputs(get({ 'render-timeout': bad }))).toThrow(
        `input render-timeout: expected a number of seconds greater than 0, got "${bad}"`,
      );
  });

  it('reads parallel-regions (default 8) and refuses anything but a whole number of at least 1', () => {
    expect(readInputs(get({})).parallelRegions).toBe(8);
    expect(readInputs(get({ 'parallel-regions': '3' })).parallelRegions).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'many'])
      expect(() => readInputs(get({ 'parallel-regions': bad }))).toThrow(
        `input parallel-regions: expected a whole number of at least 1, got "${bad}"`,
      );
  });

  it('reads base-ref and fail-on-pr-changes, refusing a ref git could take for an option', () => {
    expect(
      readInputs(get({ 'base-ref': ' origin/main ', 'fail-on-pr-changes': 'true' })),
    ).toMatchObject({ baseRef: 'origin/main', failOnPrChanges: true });
    expect(() => readInputs(get({ 'base-ref': '--output=/etc/passwd' }))).toThrow(
      'input base-ref: "--output=/etc/passwd" is not a branch, tag or commit SHA',
    );
    expect(() => readInputs(get({ 'base-ref': 'main', aggregate: 'reports' }))).toThrow(
      'set base-ref on those steps instead',
    );
  });

  it('parses lists, region=context pairs and booleans', () => {
    const inputs = readInputs(
      get({
        regions: 'us-east, eu-west\nap-southeast\n',
        contexts: 'us-east=prod-use1\neu-west = prod-euw1',
        mode: 'read-only',
        'fail-on-drift': 'False',
        comment: 'TRUE',
        aggregate: 'reports/a\nreports/b',
        'comment-key': 'production',
      }),
    );
    expect(inputs).toMatchObject({
      regions: ['us-east', 'eu-west', 'ap-southeast'],
      contexts: { 'us-east': 'prod-use1', 'eu-west': 'prod-euw1' },
      mode: 'read-only',
      failOnDrift: false,
      comment: true,
      aggregate: ['reports/a', 'reports/b'],
      commentKey: 'production',
    });
  });

  it('lists every problem at once, naming each input', () => {
    let error: unknown;
    try {
      readInputs(
        get({
          mode: 'fast',
          comment: 'yes',
          regions: 'US East',
          contexts: 'us-east=a, us-east=b, broken',
          'comment-key': 'a -->',
        }),
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toContain('6 problems');
    for (const text of [
      'input mode: expected server-side or read-only, got "fast"',
      'input comment: expected true or false, got "yes"',
      'input regions: "US East" is not a valid region name',
      'input contexts: region us-east is given twice',
      'input contexts: "broken" is not region=context',
      'input comment-key',
    ]) {
      expect(message).toContain(text);
    }
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string; description: string }>;
    outputs: Record<string, unknown>;
    runs: Record<string, string>;
  };

  it('runs the bundle on node24 with a post step that cleans up', () => {
    expect(action.runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post.js',
      'post-if': 'always()',
    });
  });

  it('declares exactly the inputs and outputs the code reads and sets', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  });

  it('has defaults that mean the same as the code’s defaults', () => {
    const defaults = Object.fromEntries(
      Object.entries(action.inputs).map(([k, v]) => [k, v.default ?? '']),
    );
    defaults['github-token'] = '';
    expect(readInputs(get(defaults))).toEqual(readInputs(get({})));
  });

  it('documents every input and output in docs/action.md', () => {
    const doc = readFileSync(join(root, 'docs/action.md'), 'utf8');
    for (const name of [...INPUT_NAMES, ...OUTPUT_NAMES]) expect(doc).toContain(`\`${name}\``);
  });
});

describe('kubeconfig input', () => {
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: us-east',
    '  cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: "Q0FEQVRB"}',
    'users:',
    '- name: checker',
    '  user: {token: "tok-abcdefghijklmnop"}',
    '- name: cert-user',
    '  user: {client-certificate-data: "Q0VSVERBVEE=", client-key-data: "S0VZREFUQQ=="}',
    '- name: oidc',
    '  user:',
    '    auth-provider: {name: oidc, config: {id-token: "idtok-1234", refresh-token: "ref-5678"}}',
    '- name: exec',
    '  user:',
    '    exec: {command: aws, env: [{name: AWS_SECRET, value: "aws-secret-999"}]}',
    'contexts:',
    '- name: us-east-drift-checker',
    '  context: {cluster: us-east, user: checker}',
  ].join('\n');

  it('accepts plain YAML and base64, and collects every credential to mask', () => {
    const plain = decodeKubeconfigInput(kubeconfig);
    const b64 = decodeKubeconfigInput(Buffer.from(kubeconfig).toString('base64'));
    expect(b64.text).toBe(plain.text);
    expect(plain.contexts).toEqual(['us-east-drift-checker']);
    for (const secret of [
      'tok-abcdefghijklmnop',
      'Q0VSVERBVEE=',
      'S0VZREFUQQ==',
      'idtok-1234',
      'ref-5678',
      'aws-secret-999',
      kubeconfig,
    ]) {
      expect(plain.secrets).toContain(secret);
    }
    expect(b64.secrets).toContain(Buffer.from(kubeconfig).toString('base64'));
    // Names and server addresses are not secrets.
    expect(plain.secrets).not.toContain('AWS_SECRET');
    expect(plain.secrets).not.toContain('https://10.0.0.1:6443');
  });

  it('rejects text that is not a kubeconfig without quoting it', () => {
    for (const bad of ['hello', 'token: abcdef123456', 'bm90IGEga3ViZWNvbmZpZw==', '[1, 2']) {
      expect(() => decodeKubeconfigInput(bad)).toThrow(/input kubeconfig: not a kubeconfig/);
      try {
        decodeKubeconfigInput(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain(bad);
      }
    }
  });

  it('writes a 0600 file in a private folder and removes only its own folders', () => {
    const temp = mkdtempSync(join(tmpdir(), 'mr-drift-kc-'));
    try {
      const file = writeKubeconfigFile(kubeconfig, temp);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(kubeconfig);
      expect(removeKubeconfigFile('/etc/kubeconfig', temp)).toBe(false);
      expect(removeKubeconfigFile(join(temp, 'kubeconfig'), temp)).toBe(false);
      expect(removeKubeconfigFile(file, temp)).toBe(true);
      expect(() => statSync(file)).toThrow();
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
