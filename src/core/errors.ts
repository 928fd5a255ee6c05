/**
 * Every failure a user can hit has its own class here, with a location (file:line,
 * template name, region, kind/namespace/name ...) and a one-line hint saying what to do.
 * Entry points print `message` (and `hint`) and exit 2; stack traces only with --debug.
 *
 * Drift is not an error: it is a result (exit 1), see core/report.
 */
import { KEY_WORDING, word, type OptionWording, type Wordable } from './option-wording';
import { count } from './text/plural';

export abstract class MrDriftError extends Error {
  /** Exit code for the CLI; every user-facing error is 2, like `kubectl diff`. */
  readonly exitCode = 2;
  /** What to do about it, one line (options named by key; see `worded`). */
  readonly hint?: string;
  readonly #text: { message: Wordable; hint?: Wordable | undefined };

  constructor(message: Wordable, hint?: Wordable) {
    super(word(message, KEY_WORDING));
    this.name = new.target.name;
    if (hint !== undefined) this.hint = word(hint, KEY_WORDING);
    this.#text = { message, hint };
  }

  /**
   * The message and hint as an entry point says them: options named as its flags or its
   * inputs. A plain message is taken as it is now (a caller may have rewritten it).
   */
  worded(say: OptionWording): { message: string; hint?: string } {
    const { message, hint } = this.#text;
    const text = typeof message === 'string' ? this.message : message(say);
    if (hint === undefined) return { message: text };
    return { message: text, hint: typeof hint === 'string' ? hint : hint(say) };
  }

  /** `message`, then `hint: ...` on a line of its own, in the words of `say`. */
  describe(say: OptionWording): string {
    const { message, hint } = this.worded(say);
    return hint ? `${message}\nhint: ${hint}` : message;
  }
}

/** One problem found while validating input, with where it is. */
export interface Problem {
  /** File the problem is in (as the user named it). */
  file: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  /** Dotted/JSON-pointer path of the field, e.g. `regions[1].name`. */
  field?: string;
  /** What is wrong and what is expected. */
  message: string;
}

/** Formats a problem as `file:line:col: field: message`. */
export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.line !== undefined ? p.column : undefined]
    .filter((x) => x !== undefined)
    .join(':');
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

/** `2 problems in the config:` followed by one indented `file:line:col: field: message` each. */
export function listProblems(problems: readonly Problem[], where: string): string {
  return (
    `${count(problems.length, 'problem')} ${where}:\n` +
    problems.map((p) => `  ${formatProblem(p)}`).join('\n')
  );
}

/** The config file is malformed or invalid; carries every problem found, not just the first. */
export class ConfigError extends MrDriftError {
  constructor(
    readonly problems: Problem[],
    hint: Wordable = 'Fix the problems above; the schema is in schema/config.schema.json.',
  ) {
    super(listProblems(problems, 'in the config'), hint);
  }
}

/** A template failed to compile or render (missing variable, bad helper use ...). */
export class TemplateError extends MrDriftError {
  constructor(
    readonly template: string,
    detail: string,
    hint?: Wordable,
  ) {
    super(`template ${template}: ${detail}`, hint);
  }
}

/**
 * Templates would set `replicas` on a workload that a HorizontalPodAutoscaler scales: Git
 * and the autoscaler would undo each other at every sync. Lists every such template.
 */
export class AutoscaledReplicasError extends MrDriftError {
  constructor(
    readonly problems: Problem[],
    hint = 'Remove replicas from these templates and leave them to the HorizontalPodAutoscaler; its bounds come from regions[].replicas (min, max).',
  ) {
    super(
      `${count(problems.length, 'template')} would set replicas that a HorizontalPodAutoscaler owns:\n` +
        problems.map((p) => `  ${formatProblem(p)}`).join('\n'),
      hint,
    );
  }
}

/** A required external tool (kustomize, kubectl, go ...) is not installed or failed to run. */
export class ToolMissingError extends MrDriftError {
  constructor(
    readonly tool: string,
    hint: string,
  ) {
    super(`${tool} was not found on PATH`, hint);
  }
}

/** Bad command-line or Action input. */
export class UsageError extends MrDriftError {}

/** Refused to write because the output tree holds generated files that were edited by hand. */
export class HandEditedFilesError extends MrDriftError {
  constructor(
    /** Paths relative to the output folder. */
    readonly files: string[],
    /** The output folder as the user knows it; the message lists `<dir>/<file>`. */
    dir?: string,
  ) {
    super(
      `refusing to overwrite ${count(files.length, 'generated file')} edited by hand:\n` +
        files.map((f) => `  ${dir ? `${dir}/` : ''}${f}`).join('\n'),
      (say) =>
        `Move your edits into the config or a template override, or re-run with ${say.option('force')} to discard them.`,
    );
  }
}

/** Refused to write over files in the output folder that mr-drift did not generate. */
export class ForeignFilesError extends MrDriftError {
  constructor(
    /** Paths relative to the output folder. */
    readonly files: string[],
    /** The output folder as the user knows it; the message lists `<dir>/<file>`. */
    dir?: string,
  ) {
    super(
      `refusing to overwrite ${count(files.length, 'file')} that mr-drift did not generate:\n` +
        files.map((f) => `  ${dir ? `${dir}/` : ''}${f}`).join('\n'),
      'Move or rename them, or choose another output folder; mr-drift never overwrites files it did not write.',
    );
  }
}

/** Rendering a region's manifests failed (kustomize error, unreadable YAML). */
export class RenderError extends MrDriftError {}

/** The desired state of a region defines an object more than once. */
export class DuplicateObjectsError extends MrDriftError {
  constructor(
    /** Each object, with the two places that define it. */
    readonly duplicates: string[],
  ) {
    super(
      `the desired state defines ${duplicates.length === 1 ? 'an object' : 'objects'} twice: ${duplicates.join('; ')}`,
      'Each object may appear once per region; remove the duplicate.',
    );
  }
}

/**
 * A region's cluster cannot be used: its kubeconfig context is incomplete, the server does
 * not answer or is not trusted, or it refuses the credentials (401) or a verb (403). It
 * becomes that region's error; the other regions still complete.
 */
export class ClusterAccessError extends MrDriftError {}

/** The kubeconfig is missing, cannot be read, or makes no sense (file and field named, never a value). */
export class KubeconfigError extends MrDriftError {}

/** The pull request's base revision cannot be read: no git, no repository, or not fetched. */
export class BaseUnavailable extends MrDriftError {}

/** The GitHub REST API refused a request. */
export class GitHubApiError extends MrDriftError {
  constructor(
    readonly status: number,
    detail: string,
    hint?: string,
  ) {
    super(`GitHub API answered ${status}: ${detail}`, hint);
  }
}

/** A drift report file given to aggregate mode is unreadable, invalid or conflicts with another. */
export class ReportFileError extends MrDriftError {
  constructor(
    readonly problems: Problem[],
    hint = 'Pass the JSON reports written by `mr-drift check --output json` or by the Action (its `report` output), all from the same commit and mode.',
  ) {
    super(listProblems(problems, 'in the drift reports'), hint);
  }
}

/** The ignore-rules file (`.mr-drift-ignore.yaml`) is malformed or invalid; lists every problem. */
export class IgnoreFileError extends MrDriftError {
  constructor(
    readonly problems: Problem[],
    hint: Wordable = 'Fix the ignore file; its format is described in docs/drift.md (section "Ignore rules").',
  ) {
    super(listProblems(problems, 'in the ignore file'), hint);
  }
}

/**
 * An Application, ApplicationSet or Flux Kustomization in the tree carries settings mr-drift
 * cannot apply as the engine would (an invalid `ignoreDifferences` rule ...); lists every problem.
 */
export class TreeSettingsError extends MrDriftError {
  constructor(
    readonly problems: Problem[],
    hint: Wordable = 'Fix the rules in the tree (for generated files: in the config, then run `mr-drift generate`); their format is in docs/drift.md (section "Engine settings").',
  ) {
    super(listProblems(problems, "in the GitOps engines' settings"), hint);
  }
}
