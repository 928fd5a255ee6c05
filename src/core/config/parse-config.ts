import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError, type Problem } from '../errors';
import type { Config } from './types';
import { validateAgainstSchema } from './schema-validate';
import { semanticChecks } from './semantic-checks';
import { formatPath, locate, type ConfigPath } from './yaml-locate';

/**
 * Turns the text of a config file into a validated, frozen Config, or throws one
 * ConfigError listing every problem (syntax, duplicate keys, schema, semantic rules),
 * each with the file, line and field. Pure: the caller reads the file.
 *
 * @param text  the file's content
 * @param file  the file name as the user gave it, used in messages
 */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
  });

  const syntax = doc.errors.map((e) => syntaxProblem(e, file, text, lineCounter));
  if (syntax.length > 0) throw new ConfigError(syntax);

  // Aliases could blow up memory on a crafted file; configs have no need for many.
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw new ConfigError([
      {
        file,
        line: 1,
        message:
          'the file is empty; expected a mapping with app, gitops, database, cache and regions',
      },
    ]);
  }

  const place = (path: ConfigPath, atKey: boolean, message: string): Problem => {
    const pos = locate(doc, lineCounter, path, atKey);
    return {
      file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      ...(path.length > 0 ? { field: formatPath(path) } : {}),
      message,
    };
  };
  const problems: Problem[] = [
    ...validateAgainstSchema(data).map((p) => place(p.path, p.atKey, p.message)),
    ...semanticChecks(data).map((p) => place(p.path, p.atKey ?? false, p.message)),
  ];
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ConfigError(problems);
  }
  return deepFreeze(applyDerivedDefaults(data as Config));
}

/** Defaults that depend on other fields, so the schema cannot state them. */
function applyDerivedDefaults(c: Config): Config {
  const n = c.app.name;
  const cnpg = c.database.cloudnativePG;
  return {
    ...c,
    gitops: { ...c.gitops, argocd: { project: n, ...c.gitops.argocd } },
    database: {
      credentialsSecret: `${n}-db-credentials`,
      ...c.database,
      primaries: { ...firstRegionOfEachShard(c), ...c.database.primaries },
      cloudnativePG: {
        owner: n,
        ...cnpg,
        backup: { credentialsSecret: `${n}-backup-credentials`, ...cnpg.backup },
      },
    },
    cache: {
      ...c.cache,
      passwordSecret: { name: `${n}-cache-password`, ...c.cache.passwordSecret },
    },
  };
}

/** Shard -> the first region (in file order) that lists it: the default primary. */
function firstRegionOfEachShard(c: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of c.regions) for (const s of r.shards) out[s] ??= r.name;
  return out;
}

function syntaxProblem(
  e: YAMLError,
  file: string,
  text: string,
  lineCounter: LineCounter,
): Problem {
  const pos = lineCounter.linePos(Math.min(e.pos[0], text.length));
  let message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^\s*"?([^":\n]+)"?\s*:?/.exec(text.slice(e.pos[0]))?.[1]?.trim();
    message = `duplicate key${key ? ` \`${key}\`` : ''}: each key may appear only once in a mapping`;
  } else {
    message = `YAML syntax error: ${message}`;
  }
  return { file, ...(pos ? { line: pos.line, column: pos.col } : {}), message };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
