import type { OptionWording } from '../core/option-wording';
import type { ComparisonMode, DriftReport } from '../core/report/model';

/**
 * Options of one drift check, shared by the CLI (`mr-drift check`) and the GitHub Action.
 * Both entries only turn their inputs into this object and present the DriftReport that
 * `runCheck` returns.
 */
/** Regions checked at once when the caller does not say. */
export const DEFAULT_PARALLEL_REGIONS = 8;

export interface CheckOptions {
  /** Overlays root (`<path>/regions/<region>/kustomization.yaml`), a folder of plain YAML,
   * or one multi-document YAML file. */
  path: string;
  /** Regions to check; default: every region found under `path`. */
  regions?: string[];
  /** kubeconfig file; default: KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string;
  /** region -> kubeconfig context; a region's context defaults to its own name. */
  contexts?: Record<string, string>;
  mode: ComparisonMode;
  /**
   * How the entry point names its options (CLI flags, Action inputs): region errors and
   * warnings in the report are worded with it, so each says what to set in its own terms.
   */
  wording: OptionWording;
  /** Ignore-rules file; default `.mr-drift-ignore.yaml` in the working directory when present. */
  ignoreFile?: string;
  /** Field manager used for the server-side apply dry-run; default: the GitOps engine's. */
  fieldManager?: string;
  /**
   * Server-side mode: send every object to the dry-run, even when the live object's
   * managedFields prove the apply would change nothing (the default skips those).
   */
  fullDryRun?: boolean;
  /** Requests in flight at once per region; default 16. */
  concurrency?: number;
  /**
   * Regions checked at once; default DEFAULT_PARALLEL_REGIONS. A region's live objects are
   * let go once it is judged, so memory grows with this many regions, not with all.
   */
  parallelRegions?: number;
  /** Timeout of each kustomize build in milliseconds; default RENDER_TIMEOUT_MS (120 s). */
  renderTimeoutMs?: number;
  /** Timeout of each API request in milliseconds; default 30,000. */
  timeoutMs?: number;
  /** Git revision of the desired state, for the report; default: `git rev-parse HEAD` when available. */
  revision?: string;
  /**
   * Base revision of a pull request (branch, tag or SHA in the repository holding `path`).
   * Its desired state is rendered too, so every finding and field gets an `origin`: the
   * PR's own change (`pr`), drift already in the cluster (`drift`), or both at one field.
   */
  base?: string;
  /**
   * When `base` cannot be read (not in the checkout, no repository): `error` stops the run
   * (exit 2, the CLI's choice for an explicit base); `warn` checks without origins and
   * says why in `source.base.warning` (the Action's choice: a shallow clone must not fail).
   */
  baseMissing?: 'error' | 'warn';
  /** Progress callback for long runs (the CLI draws it on stderr, the Action logs it). */
  onProgress?: (event: CheckProgress) => void;
}

export type CheckProgress =
  | { kind: 'region-start'; region: string }
  | { kind: 'region-step'; region: string; step: string; done?: number; total?: number }
  | { kind: 'region-done'; region: string; status: 'in-sync' | 'drift' | 'error' };

/** Signature the pipeline implements in src/pipeline/run-check.ts. */
export type RunCheck = (options: CheckOptions) => Promise<DriftReport>;
