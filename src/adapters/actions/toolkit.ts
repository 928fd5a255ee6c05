import * as core from '@actions/core';
import type { Annotation } from '../../core/report/annotations';

/**
 * Everything the Action says to the Actions runner, behind one interface. This is the
 * only module that imports `@actions/core`; the Action's logic takes an ActionsRuntime,
 * so tests can run it through the real runner protocol (INPUT_* variables, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, workflow commands on stdout) or record what it would do.
 */
export interface ActionsRuntime {
  /** An input, trimmed; '' when not set. */
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  /** Registers a value the runner must mask in every log line from now on. */
  setSecret(value: string): void;
  info(message: string): void;
  warning(message: string): void;
  /** A check-run annotation, optionally on a file. */
  annotate(annotation: Annotation): void;
  /** Appends Markdown to this step's job summary. */
  appendSummary(markdown: string): Promise<void>;
  /** Saves a value for the `post:` step of this Action. */
  saveState(name: string, value: string): void;
  getState(name: string): string;
  /** Marks the step failed with a message (an error annotation); the exit code is set apart. */
  fail(message: string): void;
}

/** The ActionsRuntime of a real (or faithfully simulated) runner. */
export function actionsRuntime(): ActionsRuntime {
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    annotate: (a) => {
      const props: core.AnnotationProperties = {
        title: a.title,
        ...(a.file ? { file: a.file } : {}),
      };
      if (a.level === 'error') core.error(a.message, props);
      else core.warning(a.message, props);
    },
    appendSummary: async (markdown) => {
      try {
        await core.summary.addRaw(markdown, true).write();
      } catch (err) {
        // No GITHUB_STEP_SUMMARY (an older GitHub Enterprise Server, a local run): the
        // report is still in the outputs, the comment and the JSON file.
        core.warning(`mr-drift could not write the job summary: ${(err as Error).message}`);
      } finally {
        core.summary.emptyBuffer();
      }
    },
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    fail: (message) => core.error(message),
  };
}
