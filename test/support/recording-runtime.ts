import type { ActionsRuntime } from '../../src/adapters/actions/toolkit';
import type { Annotation } from '../../src/core/report/annotations';

/**
 * An ActionsRuntime that records what the Action tells the runner, for unit tests of the
 * Action's logic. The end-to-end test runs dist/index.js through the real runner protocol.
 */
export class RecordingRuntime implements ActionsRuntime {
  outputs: Record<string, string> = {};
  secrets: string[] = [];
  logs: string[] = [];
  warnings: string[] = [];
  failures: string[] = [];
  annotations: Annotation[] = [];
  summary = '';
  state: Record<string, string> = {};

  constructor(private readonly inputs: Record<string, string> = {}) {}

  getInput(name: string): string {
    return (this.inputs[name] ?? '').trim();
  }
  setOutput(name: string, value: string): void {
    this.outputs[name] = value;
  }
  setSecret(value: string): void {
    this.secrets.push(value);
  }
  info(message: string): void {
    this.logs.push(message);
  }
  warning(message: string): void {
    this.warnings.push(message);
  }
  annotate(annotation: Annotation): void {
    this.annotations.push(annotation);
  }
  appendSummary(markdown: string): Promise<void> {
    this.summary += markdown;
    return Promise.resolve();
  }
  saveState(name: string, value: string): void {
    this.state[name] = value;
  }
  getState(name: string): string {
    return this.state[name] ?? '';
  }
  fail(message: string): void {
    this.failures.push(message);
  }
  /** Everything written anywhere, for "appears nowhere" assertions. */
  everything(): string {
    return JSON.stringify([
      this.outputs,
      this.logs,
      this.warnings,
      this.failures,
      this.annotations,
      this.summary,
    ]);
  }
}
