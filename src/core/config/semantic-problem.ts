import type { ConfigPath } from './yaml-locate';

/** A rule broken by values that are each valid on their own. */
export interface SemanticProblem {
  path: ConfigPath;
  atKey?: boolean;
  message: string;
}

/** A config object as parsed, before the schema's types can be trusted. */
export type Raw = Record<string, unknown>;

export function isObject(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
