import type { DriftReport } from '../core/report/model';

/**
 * The check pipeline is shared with the CLI, so its messages name command-line flags
 * ("--path nope: no such file or folder", "run with --mode read-only"). A workflow author
 * sets inputs, not flags: these rules say the same in the Action's terms, so every
 * message points at something that exists in `action.yml`.
 */

/** CLI flag -> the Action input that sets the same thing. */
const INPUT_OF_FLAG: Readonly<Record<string, string>> = {
  path: 'path',
  regions: 'regions',
  kubeconfig: 'kubeconfig',
  context: 'contexts',
  mode: 'mode',
  'ignore-file': 'ignore-file',
  'field-manager': 'field-manager',
  base: 'base-ref',
  'fail-on-pr-changes': 'fail-on-pr-changes',
  'report-file': 'report-file',
  'request-timeout': 'request-timeout',
};

const FLAGS = Object.keys(INPUT_OF_FLAG)
  .sort((a, b) => b.length - a.length)
  .join('|');

/** Ordered: specific phrasings first, then any remaining mention of a flag. */
const RULES: ReadonlyArray<[RegExp, (...groups: string[]) => string]> = [
  // "--context REGION=CONTEXT": the input takes region=context pairs.
  [/--context [A-Z]+=CONTEXT/g, () => 'a `contexts` pair region=context'],
  // "--mode read-only", "--base origin/main": the input with its value.
  [
    /--(mode|base) ((?!<)[a-z][\w./-]*[\w/])/g,
    (_m, flag, value) => `\`${INPUT_OF_FLAG[flag]}: ${value}\``,
  ],
  // A message that starts with the flag, as a label: "--path nope: no such file" reads
  // "input path: nope: no such file", like the Action's own input errors.
  [
    new RegExp(`(^|\\n)--(${FLAGS}) ([^\\s:]+):`, 'g'),
    (_m, start, flag, value) => `${start}input ${INPUT_OF_FLAG[flag]}: ${value}:`,
  ],
  [
    new RegExp(`(^|\\n)--(${FLAGS})(?= |:)`, 'g'),
    (_m, start, flag) => `${start}input ${INPUT_OF_FLAG[flag]}`,
  ],
  // In a sentence, with or without a placeholder: "Point --path at", "pass --kubeconfig <file>".
  [
    new RegExp(`--(${FLAGS})(?: (?:<[^>]+>|[A-Z]+)(?![\\w=]))?(?![\\w-])`, 'g'),
    (_m, flag) => `the \`${INPUT_OF_FLAG[flag]}\` input`,
  ],
];

/** A message of the check pipeline, reworded for a workflow author. */
export function inActionTerms(text: string): string {
  return RULES.reduce(
    (t, [pattern, replace]) =>
      t.replace(pattern, (...args: unknown[]) => replace(...(args as string[]))),
    text,
  );
}

/** The report with its region errors and base warning reworded (findings are data: kept). */
export function reportInActionTerms(report: DriftReport): DriftReport {
  const warning = report.source.base?.warning;
  return {
    ...report,
    source: {
      ...report.source,
      ...(report.source.base
        ? {
            base: {
              ...report.source.base,
              ...(warning !== undefined ? { warning: inActionTerms(warning) } : {}),
            },
          }
        : {}),
    },
    regions: report.regions.map((r) =>
      r.error !== undefined ? { ...r, error: inActionTerms(r.error) } : r,
    ),
  };
}
