import { reportExitCode, type DriftReport } from './model';
import { regionsChangedByPr } from './origin';

/** When a check fails, beyond a region that could not be checked (always a failure). */
export interface FailurePolicy {
  /** Drift (including a hand change the pull request would overwrite) fails the run. */
  failOnDrift: boolean;
  /** A pull request's own changes fail the run too. */
  failOnPrChanges: boolean;
}

/** How a check ends: its exit code, and why it is not 0. */
export type Outcome =
  { code: 0 } | { code: 1; because: 'drift' | 'pr-changes' } | { code: 2; because: 'error' };

/**
 * The exit code of a check under a policy, the same for the CLI and the Action, as
 * `kubectl diff`: 2 when a region could not be checked, 1 for drift (unless the policy
 * lets it pass) or for the pull request's own changes (when the policy asks), else 0.
 */
export function checkOutcome(report: DriftReport, policy: FailurePolicy): Outcome {
  const code = reportExitCode(report);
  if (code === 2) return { code: 2, because: 'error' };
  if (code === 1 && policy.failOnDrift) return { code: 1, because: 'drift' };
  if (policy.failOnPrChanges && regionsChangedByPr(report).length > 0)
    return { code: 1, because: 'pr-changes' };
  return { code: 0 };
}
