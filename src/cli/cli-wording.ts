import type { OptionKey, OptionWording } from '../core/option-wording';

/** The command-line flag of each option. */
const FLAG: Readonly<Record<OptionKey, string>> = {
  path: '--path',
  regions: '--regions',
  kubeconfig: '--kubeconfig',
  context: '--context',
  mode: '--mode',
  'ignore-file': '--ignore-file',
  base: '--base',
  'request-timeout': '--request-timeout',
  'render-timeout': '--render-timeout',
  config: '--config',
  templates: '--templates',
  force: '--force',
};

/** Options as the CLI's flags: `--kubeconfig <file>`, `--mode read-only`, `--path nope`. */
export const CLI_WORDING: OptionWording = {
  option: (key, placeholder) => (placeholder ? `${FLAG[key]} ${placeholder}` : FLAG[key]),
  setting: (key, value) => `${FLAG[key]} ${value}`,
  subject: (key, value) => (value === undefined ? FLAG[key] : `${FLAG[key]} ${value}`),
};
