/**
 * A parser for the part of the jq language that Argo CD's `jqPathExpressions` use: path
 * expressions (`.a.b`, `."x/y"`, `.[0]`, `.[]`, `.[1:]`, `..`, `?`), pipes and commas,
 * `select(...)` with the conditions people write in them (comparisons, `and`/`or`/`not`,
 * `startswith`, `test`, `has`, `contains`, `IN`, `any` ...), `if`, `try`, `//`, `first`,
 * `limit`, `getpath` and `recurse`. Argo CD evaluates `del(<expression>)` with gojq; the
 * table in test/unit/jq-agreement.test.ts checks this implementation against the gojq
 * version Argo CD v3.2.11 pins.
 *
 * What is not here (variables, `reduce`, `def`, object construction, string
 * interpolation, assignment, formats) is refused at parse time with the position, so an
 * expression mr-drift cannot evaluate is never silently taken to hide nothing.
 */

/** A parsed expression. */
export type JqNode =
  | { t: 'identity' }
  | { t: 'recurse-all' }
  | { t: 'literal'; value: JqValue }
  | { t: 'index'; target: JqNode; key: JqNode; optional?: boolean }
  | { t: 'slice'; target: JqNode; from?: JqNode; to?: JqNode; optional?: boolean }
  | { t: 'iterate'; target: JqNode; optional?: boolean }
  | { t: 'try'; body: JqNode; catch?: JqNode }
  | { t: 'pipe'; left: JqNode; right: JqNode }
  | { t: 'comma'; left: JqNode; right: JqNode }
  | { t: 'alt'; left: JqNode; right: JqNode }
  | { t: 'and' | 'or'; left: JqNode; right: JqNode }
  | { t: 'compare'; op: CompareOp; left: JqNode; right: JqNode }
  | { t: 'arith'; op: ArithOp; left: JqNode; right: JqNode }
  | { t: 'negate'; body: JqNode }
  | { t: 'array'; body?: JqNode }
  | { t: 'call'; name: string; args: JqNode[] }
  | { t: 'if'; branches: Array<{ cond: JqNode; then: JqNode }>; else?: JqNode };

export type JqValue = null | boolean | number | string | JqValue[] | { [key: string]: JqValue };
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

/** A syntax error, or a construct this implementation does not evaluate. */
export class JqSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based offset in the expression. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JqSyntaxError';
  }
}

type Token =
  | { k: 'punct'; v: string; at: number }
  | { k: 'field'; v: string; at: number }
  | { k: 'ident'; v: string; at: number }
  | { k: 'number'; v: number; at: number }
  | { k: 'string'; v: string; at: number }
  | { k: 'var'; v: string; at: number }
  | { k: 'end'; at: number };

// Longest first, so `//=` is not read as `//` then `=`.
const PUNCTS = [
  '?//',
  '//=',
  '|=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '==',
  '!=',
  '<=',
  '>=',
  '//',
  '..',
  '.',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '|',
  ',',
  ':',
  ';',
  '?',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '=',
];

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"') {
      const [value, next] = lexString(src, i);
      out.push({ k: 'string', v: value, at: i });
      i = next;
      continue;
    }
    if (c === '$') {
      IDENT.lastIndex = i + 1;
      const name = IDENT.exec(src)?.[0] ?? '';
      out.push({ k: 'var', v: name, at: i });
      i += 1 + name.length;
      continue;
    }
    if (c === '@') throw new JqSyntaxError('formats (@name) are not supported', i);
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num && (c !== '.' || /[0-9]/.test(src[i + 1] ?? ''))) {
      out.push({ k: 'number', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    if (c === '.' && src[i + 1] !== '.') {
      IDENT.lastIndex = i + 1;
      const id = IDENT.exec(src);
      if (id) {
        out.push({ k: 'field', v: id[0], at: i });
        i += 1 + id[0].length;
        continue;
      }
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(src);
    if (id) {
      if (src.startsWith('::', i + id[0].length))
        throw new JqSyntaxError('modules are not supported', i);
      out.push({ k: 'ident', v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const p = PUNCTS.find((q) => src.startsWith(q, i));
    if (!p) throw new JqSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    out.push({ k: 'punct', v: p, at: i });
    i += p.length;
  }
  out.push({ k: 'end', at: src.length });
  return out;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function lexString(src: string, start: number): [string, number] {
  let i = start + 1;
  let out = '';
  while (i < src.length) {
    const c = src[i];
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === '(') throw new JqSyntaxError('string interpolation \\(...) is not supported', i);
    if (e === 'u') {
      const hex = src.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JqSyntaxError('invalid \\u escape', i);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
      continue;
    }
    if (e === undefined || !(e in ESCAPES))
      throw new JqSyntaxError(`invalid escape \\${e ?? ''}`, i);
    out += ESCAPES[e];
    i += 2;
  }
  throw new JqSyntaxError('unterminated string', start);
}

const UNSUPPORTED_KEYWORDS: Record<string, string> = {
  reduce: '`reduce`',
  foreach: '`foreach`',
  def: 'function definitions (`def`)',
  label: '`label`',
  import: '`import`',
  include: '`include`',
  as: 'variable bindings (`as $x`)',
};
const KEYWORDS = new Set([
  'if',
  'then',
  'elif',
  'else',
  'end',
  'try',
  'catch',
  'and',
  'or',
  ...Object.keys(UNSUPPORTED_KEYWORDS),
]);

/** Parses a jq expression; throws JqSyntaxError with the offset of the problem. */
export function parseJq(src: string): JqNode {
  const tokens = lex(src);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const isPunct = (v: string, t: Token = peek()) => t.k === 'punct' && t.v === v;
  const isIdent = (v: string, t: Token = peek()) => t.k === 'ident' && t.v === v;
  const fail = (message: string, t: Token = peek()): never => {
    throw new JqSyntaxError(message, t.at);
  };
  const describe = (t: Token): string =>
    t.k === 'end'
      ? 'the end of the expression'
      : t.k === 'string'
        ? JSON.stringify(t.v)
        : t.k === 'field'
          ? `.${t.v}`
          : t.k === 'var'
            ? `$${t.v}`
            : String(t.v);
  const expect = (v: string) => {
    if (!isPunct(v)) fail(`expected ${v}, found ${describe(peek())}`);
    pos++;
  };
  const expectKeyword = (v: string) => {
    if (!isIdent(v)) fail(`expected ${v}, found ${describe(peek())}`);
    pos++;
  };

  function pipe(): JqNode {
    const t = peek();
    if (t.k === 'ident' && t.v in UNSUPPORTED_KEYWORDS)
      fail(`${UNSUPPORTED_KEYWORDS[t.v]} is not supported in a path expression`);
    const left = comma();
    if (isIdent('as')) fail('variable bindings (`as $x`) are not supported in a path expression');
    if (isPunct('|')) {
      pos++;
      return { t: 'pipe', left, right: pipe() };
    }
    return left;
  }
  function comma(): JqNode {
    let left = alt();
    while (isPunct(',')) {
      pos++;
      left = { t: 'comma', left, right: alt() };
    }
    return left;
  }
  function alt(): JqNode {
    const left = assign();
    if (isPunct('//')) {
      pos++;
      return { t: 'alt', left, right: alt() };
    }
    return left;
  }
  function assign(): JqNode {
    const left = or();
    const t = peek();
    if (t.k === 'punct' && ['=', '|=', '+=', '-=', '*=', '/=', '%=', '//=', '?//'].includes(t.v))
      fail(`${t.v} is not supported: a path expression selects fields, it does not set them`);
    return left;
  }
  function or(): JqNode {
    let left = and();
    while (isIdent('or')) {
      pos++;
      left = { t: 'or', left, right: and() };
    }
    return left;
  }
  function and(): JqNode {
    let left = compare();
    while (isIdent('and')) {
      pos++;
      left = { t: 'and', left, right: compare() };
    }
    return left;
  }
  function compare(): JqNode {
    const left = additive();
    const t = peek();
    if (t.k === 'punct' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      pos++;
      const node: JqNode = { t: 'compare', op: t.v as CompareOp, left, right: additive() };
      const again = peek();
      if (again.k === 'punct' && ['==', '!=', '<', '<=', '>', '>='].includes(again.v))
        fail('comparisons do not chain; use parentheses');
      return node;
    }
    return left;
  }
  function additive(): JqNode {
    let left = multiplicative();
    for (let t = peek(); t.k === 'punct' && (t.v === '+' || t.v === '-'); t = peek()) {
      pos++;
      left = { t: 'arith', op: t.v as ArithOp, left, right: multiplicative() };
    }
    return left;
  }
  function multiplicative(): JqNode {
    let left = unary();
    for (
      let t = peek();
      t.k === 'punct' && (t.v === '*' || t.v === '/' || t.v === '%');
      t = peek()
    ) {
      pos++;
      left = { t: 'arith', op: t.v as ArithOp, left, right: unary() };
    }
    return left;
  }
  function unary(): JqNode {
    if (isPunct('-')) {
      pos++;
      return { t: 'negate', body: postfix() };
    }
    return postfix();
  }
  function postfix(): JqNode {
    let node = primary();
    for (;;) {
      const t = peek();
      if (t.k === 'field') {
        pos++;
        node = { t: 'index', target: node, key: { t: 'literal', value: t.v } };
      } else if (isPunct('.') && tokens[pos + 1]?.k === 'string') {
        pos++;
        const s = peek() as { v: string };
        pos++;
        node = { t: 'index', target: node, key: { t: 'literal', value: s.v } };
      } else if (isPunct('.') && isPunct('[', tokens[pos + 1])) {
        pos++;
        node = bracket(node);
      } else if (isPunct('[')) {
        node = bracket(node);
      } else if (isPunct('?')) {
        pos++;
        // gojq tries only the last suffix: `.a.b?` is `.a | try .b`, so an error in `.a`
        // still stops the expression.
        if ((node.t === 'index' || node.t === 'slice' || node.t === 'iterate') && !node.optional)
          node = { ...node, optional: true };
        else node = { t: 'try', body: node };
      } else return node;
    }
  }
  /** `[]`, `[e]`, `[e:]`, `[:e]`, `[e:e]` after a term. */
  function bracket(target: JqNode): JqNode {
    expect('[');
    if (isPunct(']')) {
      pos++;
      return { t: 'iterate', target };
    }
    if (isPunct(':')) {
      pos++;
      const to = pipe();
      expect(']');
      return { t: 'slice', target, to };
    }
    const key = pipe();
    if (isPunct(':')) {
      pos++;
      if (isPunct(']')) {
        pos++;
        return { t: 'slice', target, from: key };
      }
      const to = pipe();
      expect(']');
      return { t: 'slice', target, from: key, to };
    }
    expect(']');
    return { t: 'index', target, key };
  }
  function primary(): JqNode {
    const t = peek();
    switch (t.k) {
      case 'end':
        return fail('unexpected end of the expression');
      case 'number':
        pos++;
        return { t: 'literal', value: t.v };
      case 'string':
        pos++;
        return { t: 'literal', value: t.v };
      case 'field':
        pos++;
        return { t: 'index', target: { t: 'identity' }, key: { t: 'literal', value: t.v } };
      case 'punct':
        return primaryPunct(t);
      case 'ident':
        return primaryIdent(t);
      case 'var':
        return fail('variables ($name) are not supported in a path expression');
    }
  }
  function primaryPunct(t: Token & { k: 'punct' }): JqNode {
    switch (t.v) {
      case '.':
        pos++;
        if (peek().k === 'string') {
          const s = peek() as { v: string };
          pos++;
          return { t: 'index', target: { t: 'identity' }, key: { t: 'literal', value: s.v } };
        }
        return { t: 'identity' };
      case '..':
        pos++;
        return { t: 'recurse-all' };
      case '(': {
        pos++;
        const body = pipe();
        expect(')');
        return body;
      }
      case '[': {
        pos++;
        if (isPunct(']')) {
          pos++;
          return { t: 'array' };
        }
        const body = pipe();
        expect(']');
        return { t: 'array', body };
      }
      case '{':
        return fail('object construction ({...}) is not supported in a path expression');
      default:
        return fail(`unexpected ${t.v}`);
    }
  }
  function primaryIdent(t: Token & { k: 'ident' }): JqNode {
    const name = t.v;
    if (name in UNSUPPORTED_KEYWORDS)
      fail(`${UNSUPPORTED_KEYWORDS[name]} is not supported in a path expression`);
    if (name === 'if') return parseIf();
    if (name === 'try') {
      pos++;
      const body = postfix();
      if (isIdent('catch')) {
        pos++;
        return { t: 'try', body, catch: postfix() };
      }
      return { t: 'try', body };
    }
    if (KEYWORDS.has(name)) fail(`unexpected ${name}`);
    pos++;
    if (name === 'null' || name === 'true' || name === 'false')
      return { t: 'literal', value: name === 'null' ? null : name === 'true' };
    const args: JqNode[] = [];
    if (isPunct('(')) {
      pos++;
      args.push(pipe());
      while (isPunct(';')) {
        pos++;
        args.push(pipe());
      }
      expect(')');
    }
    if (!BUILTINS.has(`${name}/${args.length}`))
      throw new JqSyntaxError(`${name}/${args.length} is not a supported function`, t.at);
    return { t: 'call', name, args };
  }
  function parseIf(): JqNode {
    pos++;
    const branches: Array<{ cond: JqNode; then: JqNode }> = [];
    const cond = pipe();
    expectKeyword('then');
    branches.push({ cond, then: pipe() });
    while (isIdent('elif')) {
      pos++;
      const c = pipe();
      expectKeyword('then');
      branches.push({ cond: c, then: pipe() });
    }
    let otherwise: JqNode | undefined;
    if (isIdent('else')) {
      pos++;
      otherwise = pipe();
    }
    expectKeyword('end');
    return otherwise ? { t: 'if', branches, else: otherwise } : { t: 'if', branches };
  }

  const node = pipe();
  if (peek().k !== 'end') fail(`unexpected ${describe(peek())}`);
  return node;
}

/** The functions the evaluator implements, as `name/arity`. */
export const BUILTINS: ReadonlySet<string> = new Set([
  'empty/0',
  'error/0',
  'error/1',
  'not/0',
  'select/1',
  'recurse/0',
  'recurse/1',
  'first/0',
  'last/0',
  'first/1',
  'limit/2',
  'getpath/1',
  'values/0',
  'nulls/0',
  'booleans/0',
  'numbers/0',
  'strings/0',
  'arrays/0',
  'objects/0',
  'iterables/0',
  'scalars/0',
  'length/0',
  'type/0',
  'keys/0',
  'has/1',
  'in/1',
  'contains/1',
  'inside/1',
  'startswith/1',
  'endswith/1',
  'ltrimstr/1',
  'rtrimstr/1',
  'test/1',
  'test/2',
  'ascii_downcase/0',
  'ascii_upcase/0',
  'tostring/0',
  'tonumber/0',
  'tojson/0',
  'split/1',
  'join/1',
  'map/1',
  'add/0',
  'any/0',
  'any/1',
  'any/2',
  'all/0',
  'all/1',
  'all/2',
  'IN/1',
  'IN/2',
  'isempty/1',
  'to_entries/0',
  'from_entries/0',
  'with_entries/1',
]);
