import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { TemplateError } from '../../src/core/errors';
import { compileTemplates, type TemplateSources } from '../../src/core/plan/template-engine';

function templates(entries: Record<string, string>): TemplateSources {
  return new Map(
    Object.entries(entries).map(([name, source]) => [name, { source, origin: `t/${name}.hbs` }]),
  );
}

function renderError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('values are written as YAML scalars that cannot escape their place', () => {
  const nasty = [
    'plain',
    'a: b',
    'x\nkind: Secret',
    'x\n---\napiVersion: v1\nkind: Secret',
    '"quoted" and \\ backslash',
    '# not a comment',
    '{ flow: mapping }',
    '- list item',
    'tab\there',
    '*alias',
    '&anchor',
    '!!binary',
    "'single'",
    'yes',
    '0x1F',
    '1e3',
    ' leading space',
    'unicode ☃ \u2028 line separator',
  ];

  it.each(nasty)('%j stays one string value in one document', (value) => {
    const r = compileTemplates(
      templates({
        t: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{name}}\ndata:\n  {{key}}: {{value}}\n  list:\n    - {{value}}\n# {{value}}\n',
      }),
    );
    const out = r.render('t', { name: value, key: value, value });
    const docs = parseAllDocuments(out);
    expect(Array.isArray(docs) ? docs.length : 1).toBe(1);
    const obj = parse(out) as Record<string, Record<string, unknown>>;
    expect(Object.keys(obj)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(obj.kind).toBe('ConfigMap');
    expect(obj.metadata.name).toBe(value);
    expect(obj.data[value]).toBe(value);
    expect(obj.data.list).toEqual([value]);
  });

  it('numbers and booleans are written bare; str makes strings', () => {
    const r = compileTemplates(templates({ t: 'a: {{n}}\nb: {{flag}}\nc: {{str n}}\n' }));
    expect(parse(r.render('t', { n: 8080, flag: true }))).toEqual({ a: 8080, b: true, c: '8080' });
  });

  it('concat builds one quoted value', () => {
    const r = compileTemplates(templates({ t: 'name: {{concat app "-api"}}\n' }));
    expect(parse(r.render('t', { app: 'x\ny: z' }))).toEqual({ name: 'x\ny: z-api' });
  });

  it('{{{ }}} (unquoted output) is refused when templates are compiled', () => {
    const err = renderError(() => compileTemplates(templates({ t: 'a: {{{value}}}\n' })));
    expect(err.message).toContain('t/t.hbs');
    expect(err.message).toMatch(/unquoted/);
  });
});

describe('strict: a missing variable is an error, never an empty string', () => {
  it.each([
    ['a plain value', 'a: {{app.nmae}}\n', 'app.nmae', 1],
    ['an #if condition', 'x: 1\n{{#if app.enabled}}b: 1\n{{/if}}', 'app.enabled', 2],
    ['an #each list', 'x:\n{{#each app.items}}\n  - {{this}}\n{{/each}}\n', 'app.items', 2],
    ['a helper argument', 'a: {{concat app.prefix "-x"}}\n', 'app.prefix', 1],
    ['a partial argument', 'a:\n  {{> p v=app.missing}}\n', 'app.missing', 2],
  ])('in %s', (_what, source, variable, line) => {
    const r = compileTemplates(templates({ t: source, 'partials/p': 'v: {{v}}\n' }));
    const err = renderError(() => r.render('t', { app: { name: 'alfred' } }));
    expect(err.message).toContain('template t/t.hbs');
    expect(err.message).toContain(`variable "${variable}" is not defined`);
    expect(err.message).toContain(`t/t.hbs:${line}:`);
  });

  it('a null value is defined (written as null), unlike a missing one', () => {
    const r = compileTemplates(templates({ t: 'a: {{v}}\n' }));
    expect(parse(r.render('t', { v: null }))).toEqual({ a: null });
  });

  it('a template that does not parse names its file', () => {
    const err = renderError(() => compileTemplates(templates({ t: 'a: {{#if x}}\n' })));
    expect(err.message).toMatch(/t\/t\.hbs: does not parse/);
  });
});

describe('partials', () => {
  it('are indented where they are included, with the hash as variables', () => {
    const r = compileTemplates(
      templates({
        t: 'metadata:\n  labels:\n    {{> labels component="api"}}\n',
        'partials/labels': 'name: {{app}}\ncomponent: {{component}}\n',
      }),
    );
    expect(parse(r.render('t', { app: 'alfred' }))).toEqual({
      metadata: { labels: { name: 'alfred', component: 'api' } },
    });
  });
});
