/**
 * Messages of the check and the generator point at options the user sets. The CLI calls
 * them flags (`--request-timeout`), the Action inputs (the `request-timeout` input): the
 * pipeline, the adapters and the core name an option by its key, and each entry point
 * words it its own way (cli/cli-wording.ts, action/input-wording.ts).
 */

/** The options a message can point at. */
export type OptionKey =
  | 'path'
  | 'regions'
  | 'kubeconfig'
  | 'context'
  | 'mode'
  | 'ignore-file'
  | 'base'
  | 'request-timeout'
  | 'render-timeout'
  | 'config'
  | 'templates'
  | 'force';

/** How an entry point names its options in messages. */
export interface OptionWording {
  /**
   * The option in a sentence: `--kubeconfig <file>` (CLI, with the placeholder when
   * given) or the `kubeconfig` input (Action).
   */
  option(key: OptionKey, placeholder?: string): string;
  /** The option set to a value: `--mode read-only` or `mode: read-only`. */
  setting(key: OptionKey, value: string): string;
  /** What a message about the option's value starts with: `--path nope` or `input path: nope`. */
  subject(key: OptionKey, value?: string): string;
}

/** Text that may name options: plain, or worded by the entry point that shows it. */
export type Wordable = string | ((say: OptionWording) => string);

/** The text in the words of `say`. */
export function word(text: Wordable, say: OptionWording): string {
  return typeof text === 'string' ? text : text(say);
}

/**
 * The wording of messages read outside an entry point (`Error.message` in a log or a stack
 * trace): each option by its key.
 */
export const KEY_WORDING: OptionWording = {
  option: (key) => `option ${key}`,
  setting: (key, value) => `${key}=${value}`,
  subject: (key, value) => (value === undefined ? `option ${key}` : `option ${key} ${value}`),
};
