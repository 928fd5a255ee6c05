import type { OptionKey, OptionWording } from '../core/option-wording';

/**
 * The Action's input for each option of the check (the generator's options have no input:
 * the Action never generates).
 */
const INPUT: Readonly<Partial<Record<OptionKey, string>>> = {
  path: 'path',
  regions: 'regions',
  kubeconfig: 'kubeconfig',
  context: 'contexts',
  mode: 'mode',
  'ignore-file': 'ignore-file',
  base: 'base-ref',
  'request-timeout': 'request-timeout',
  'render-timeout': 'render-timeout',
};

const input = (key: OptionKey): string => INPUT[key] ?? key;

/**
 * Options as a workflow author sets them: the `kubeconfig` input, `mode: read-only`,
 * `input path: nope`; a region's context is a `contexts` pair region=context.
 */
export const ACTION_WORDING: OptionWording = {
  option: (key) => `the \`${input(key)}\` input`,
  setting: (key, value) =>
    key === 'context'
      ? `a \`contexts\` pair ${value.toLowerCase()}`
      : `\`${input(key)}: ${value}\``,
  subject: (key, value) =>
    value === undefined ? `input ${input(key)}` : `input ${input(key)}: ${value}`,
};
