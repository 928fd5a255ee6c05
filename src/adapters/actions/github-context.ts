import { readFileSync } from 'node:fs';
import type { IssueRef } from '../github/issue-comments';

/**
 * What the Action needs to know about the workflow run, from the variables the runner
 * sets (GITHUB_*) and the event payload at GITHUB_EVENT_PATH.
 */
export interface RunContext {
  eventName: string;
  /** `owner/repo`, when GITHUB_REPOSITORY is a valid name. */
  repository?: string;
  serverUrl: string;
  apiUrl: string;
  /** Commit the links to overlay files point at: the PR head, else GITHUB_SHA. */
  sha?: string;
  /** Pull request events: the base commit (`pull_request.base.sha`), the default `base-ref`. */
  baseSha?: string;
  runUrl?: string;
  /** The workflow's page listing its runs (from GITHUB_WORKFLOW_REF), a stable link. */
  workflowUrl?: string;
  /** The branch the run checks out (GITHUB_REF_NAME on a branch ref), outside pull requests. */
  branch?: string;
  /** Set for pull request events: where the comment goes. */
  pullRequest?: IssueRef & {
    /** The head branch lives in another repository (a fork): the token is read-only. */
    fromFork: boolean;
  };
  /** Folder for temporary files (RUNNER_TEMP). */
  tempDir?: string;
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review']);

/** Reads the run context; tolerant of a missing or unreadable event file (no PR then). */
export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const repository = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(env.GITHUB_REPOSITORY ?? '')
    ? env.GITHUB_REPOSITORY
    : undefined;
  const serverUrl = httpUrl(env.GITHUB_SERVER_URL) ?? 'https://github.com';
  const apiUrl = httpUrl(env.GITHUB_API_URL) ?? 'https://api.github.com';
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const ctx: RunContext = {
    eventName,
    serverUrl,
    apiUrl,
    ...(repository ? { repository } : {}),
    ...(env.RUNNER_TEMP ? { tempDir: env.RUNNER_TEMP } : {}),
  };
  if (repository && env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID)) {
    ctx.runUrl = `${serverUrl}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`;
  }
  // owner/repo/.github/workflows/nightly.yml@refs/heads/main
  const workflowFile = /^[^/]+\/[^/]+\/\.github\/workflows\/([A-Za-z0-9_.-]+\.ya?ml)@/.exec(
    env.GITHUB_WORKFLOW_REF ?? '',
  )?.[1];
  if (repository && workflowFile) {
    ctx.workflowUrl = `${serverUrl}/${repository}/actions/workflows/${workflowFile}`;
  }
  if (env.GITHUB_REF?.startsWith('refs/heads/') && env.GITHUB_REF_NAME) {
    ctx.branch = env.GITHUB_REF_NAME;
  }
  let sha = /^[0-9a-f]{40,64}$/.test(env.GITHUB_SHA ?? '') ? env.GITHUB_SHA : undefined;

  const event = readEvent(env.GITHUB_EVENT_PATH);
  const pr = event?.pull_request;
  if (repository && PR_EVENTS.has(eventName) && isRecord(pr) && typeof pr.number === 'number') {
    const [owner, repo] = repository.split('/') as [string, string];
    const head = isRecord(pr.head) ? pr.head : {};
    const headRepo = isRecord(head.repo) ? head.repo.full_name : undefined;
    ctx.pullRequest = {
      owner,
      repo,
      number: pr.number,
      fromFork: typeof headRepo === 'string' && headRepo !== repository,
    };
    if (typeof head.sha === 'string' && /^[0-9a-f]{40,64}$/.test(head.sha)) sha = head.sha;
    const base = isRecord(pr.base) ? pr.base : {};
    if (typeof base.sha === 'string' && /^[0-9a-f]{40,64}$/.test(base.sha)) ctx.baseSha = base.sha;
  }
  if (sha) ctx.sha = sha;
  return ctx;
}

function readEvent(path: string | undefined): Record<string, unknown> | undefined {
  if (!path) return undefined;
  try {
    const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isRecord(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

function httpUrl(value: string | undefined): string | undefined {
  if (!value || !/^https?:\/\/[^\s"'<>()]+$/.test(value)) return undefined;
  return value.replace(/\/+$/, '');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
