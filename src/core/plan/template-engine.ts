import Handlebars from 'handlebars';
import type { HelperOptions } from 'handlebars';

// Handlebars declares its syntax tree types in the global `hbs` namespace.
import AST = hbs.AST;
import { TemplateError } from '../errors';

/** One template's text and where it came from (shown in error messages). */
export interface TemplateSource {
  source: string;
  /** File it was read from, e.g. `templates/base/deployment.yaml.hbs` or an override. */
  origin: string;
}

/**
 * Templates by name: the path under templates/ without `.hbs`, e.g. `base/deployment.yaml`.
 * Names under `partials/` are registered as partials (`partials/labels` -> `{{> labels}}`).
 */
export type TemplateSources = ReadonlyMap<string, TemplateSource>;

/** Renders named templates with a context; compiled once, used for every file of a run. */
export interface TemplateRenderer {
  render(name: string, context: object): string;
  has(name: string): boolean;
  /** File a template came from, for messages. */
  origin(name: string): string;
  /** A template's text (to point at one of its lines in messages). */
  source(name: string): string | undefined;
}

const VALUE_HELPER = 'mrDriftYamlValue';
const DEFINED_HELPER = 'mrDriftDefined';

/** Marks text that is already valid YAML, so the value helper passes it through unquoted. */
class YamlText {
  constructor(readonly text: string) {}
}

/** Thrown inside a render; turned into a TemplateError naming the template. */
class MissingVariable extends Error {}

/**
 * Compiles templates so that they are safe for YAML by construction:
 *
 * - Every `{{expression}}` is rewritten to pass through a helper that writes the value as
 *   a YAML scalar: strings double-quoted with JSON escapes (so a newline, `#`, `: ` or
 *   `---` in a config value stays inside the string), numbers and booleans bare. No
 *   config value can therefore add keys or documents.
 * - `{{{raw}}}` output is refused: there is no unquoted way to print a value.
 * - Strict: a variable that is not defined (also inside `#if`, `#each` and helper
 *   arguments, which Handlebars' own strict mode does not check) is an error naming the
 *   template, line and variable, never an empty string.
 */
export function compileTemplates(sources: TemplateSources): TemplateRenderer {
  const hb = Handlebars.create();
  registerHelpers(hb);
  const compiled = new Map<
    string,
    { fn: Handlebars.TemplateDelegate; origin: string; source: string }
  >();
  const helperNames = new Set(Object.keys(hb.helpers));

  for (const [name, { source, origin }] of [...sources].sort((a, b) => cmp(a[0], b[0]))) {
    let ast: AST.Program;
    try {
      ast = hb.parse(source);
    } catch (err) {
      throw new TemplateError(origin, `does not parse: ${firstLine(err)}`);
    }
    rewriteProgram(ast, origin, helperNames);
    const fn = hb.compile(ast, { strict: true, noEscape: true });
    if (name.startsWith('partials/')) hb.registerPartial(name.slice('partials/'.length), fn);
    else compiled.set(name, { fn, origin, source });
  }

  return {
    has: (name) => compiled.has(name),
    origin: (name) => compiled.get(name)?.origin ?? `${name}.hbs`,
    source: (name) => compiled.get(name)?.source,
    render(name, context) {
      const t = compiled.get(name);
      if (!t) throw new TemplateError(`${name}.hbs`, 'no such template');
      try {
        return t.fn(context);
      } catch (err) {
        if (err instanceof TemplateError) throw err;
        const detail = firstLine(err).replace(/ - (\d+):(\d+)$/, ' (line $1, column $2)');
        throw new TemplateError(
          t.origin,
          detail,
          err instanceof MissingVariable || /not defined/.test(detail)
            ? 'Use only the variables of the view model (src/core/plan/view-model.ts; see docs/generator.md), or fix the name.'
            : undefined,
        );
      }
    },
  };
}

function registerHelpers(hb: typeof Handlebars): void {
  hb.registerHelper(VALUE_HELPER, (value: unknown, where: unknown) => yamlScalar(value, where));
  hb.registerHelper(DEFINED_HELPER, (value: unknown, expr: unknown, where: unknown) => {
    if (value === undefined) {
      throw new MissingVariable(`variable "${String(expr)}" is not defined (${String(where)})`);
    }
    return value;
  });
  /** `{{str 8080}}` -> "8080": for fields that must be strings (ConfigMap data, labels). */
  hb.registerHelper('str', (value: unknown) => String(value));
  /** `{{concat app.name "-api"}}` -> "alfred-api" (one quoted scalar). */
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).map(String).join(''));
  /** `{{join list ","}}` */
  hb.registerHelper('join', (list: unknown, sep: unknown) =>
    Array.isArray(list) ? list.map(String).join(typeof sep === 'string' ? sep : ',') : '',
  );
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  /** `{{toYaml list}}` writes a list or mapping in flow style (JSON is valid YAML). */
  hb.registerHelper('toYaml', (value: unknown) => new YamlText(JSON.stringify(value)));
  hb.registerHelper('default', (value: unknown, fallback: unknown, _o: HelperOptions) =>
    value === null || value === undefined ? fallback : value,
  );
}

/** Writes one value as a YAML scalar that cannot escape its position. */
function yamlScalar(value: unknown, where: unknown): string {
  if (value instanceof YamlText) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  if (value === undefined) throw new MissingVariable(`a value is undefined (${String(where)})`);
  if (typeof value === 'object') return JSON.stringify(value);
  throw new MissingVariable(`cannot write a ${typeof value} into YAML (${String(where)})`);
}

// ---- AST rewriting -------------------------------------------------------------------

type Expr = AST.Expression;

function rewriteProgram(program: AST.Program, origin: string, helpers: Set<string>): void {
  program.body = program.body.map((s) => rewriteStatement(s, origin, helpers));
}

function rewriteStatement(s: AST.Statement, origin: string, helpers: Set<string>): AST.Statement {
  const where = (loc: AST.SourceLocation): string =>
    `${origin}:${loc.start.line}:${loc.start.column + 1}`;
  switch (s.type) {
    case 'MustacheStatement': {
      const m = s as AST.MustacheStatement;
      if (!m.escaped) {
        throw new TemplateError(
          origin,
          `line ${m.loc.start.line}: {{{ }}} writes text unquoted, which could inject YAML; use {{ }} (always safely quoted)`,
        );
      }
      const path = m.path;
      const isCall =
        m.params.length > 0 ||
        m.hash?.pairs.length > 0 ||
        (path.type === 'PathExpression' && helpers.has((path as AST.PathExpression).original));
      const inner: Expr = isCall
        ? subExpression(
            path as AST.PathExpression,
            guardAll(m.params, origin),
            guardHash(m.hash, origin),
            m.loc,
          )
        : guard(path, origin);
      m.path = pathExpr(VALUE_HELPER, m.loc);
      m.params = [inner, stringLit(where(m.loc), m.loc)];
      m.hash = emptyHash(m.loc);
      return m;
    }
    case 'BlockStatement': {
      const b = s as AST.BlockStatement;
      b.params = guardAll(b.params, origin);
      b.hash = guardHash(b.hash, origin);
      if (b.program) rewriteProgram(b.program, origin, helpers);
      if (b.inverse) rewriteProgram(b.inverse, origin, helpers);
      return b;
    }
    case 'PartialStatement': {
      const p = s as AST.PartialStatement;
      p.params = guardAll(p.params, origin);
      p.hash = guardHash(p.hash, origin);
      return p;
    }
    case 'PartialBlockStatement':
    case 'DecoratorBlock':
    case 'Decorator':
      throw new TemplateError(origin, `line ${s.loc.start.line}: ${s.type} is not supported`);
    default:
      return s;
  }
}

function guardAll(params: Expr[], origin: string): Expr[] {
  return params.map((p) => guard(p, origin));
}

function guardHash(hash: AST.Hash | undefined, origin: string): AST.Hash {
  if (!hash) return emptyHash(undefined);
  hash.pairs = hash.pairs.map((pair) => ({ ...pair, value: guard(pair.value, origin) }));
  return hash;
}

/** Wraps a variable lookup so that an undefined value fails loudly. */
function guard(e: Expr, origin: string): Expr {
  if (e.type === 'SubExpression') {
    const sub = e as AST.SubExpression;
    sub.params = guardAll(sub.params, origin);
    sub.hash = guardHash(sub.hash, origin);
    return sub;
  }
  if (e.type !== 'PathExpression') return e;
  const p = e as AST.PathExpression;
  if (p.data || p.parts.length === 0) return p; // @index, this
  const where = `${origin}:${p.loc.start.line}:${p.loc.start.column + 1}`;
  return subExpression(
    pathExpr(DEFINED_HELPER, p.loc),
    [p, stringLit(p.original, p.loc), stringLit(where, p.loc)],
    emptyHash(p.loc),
    p.loc,
  );
}

function subExpression(
  path: AST.PathExpression,
  params: Expr[],
  hash: AST.Hash,
  loc: AST.SourceLocation,
): AST.SubExpression {
  return { type: 'SubExpression', path, params, hash, loc };
}

function pathExpr(name: string, loc: AST.SourceLocation): AST.PathExpression {
  return {
    type: 'PathExpression',
    data: false,
    depth: 0,
    parts: [name],
    original: name,
    loc,
  };
}

function stringLit(value: string, loc: AST.SourceLocation): AST.StringLiteral {
  return { type: 'StringLiteral', value, original: value, loc };
}

function emptyHash(loc: AST.SourceLocation | undefined): AST.Hash {
  return { type: 'Hash', pairs: [], loc } as unknown as AST.Hash;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
