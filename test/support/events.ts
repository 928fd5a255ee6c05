/**
 * Event payloads shaped like the ones GitHub writes to GITHUB_EVENT_PATH, with the
 * fields real payloads carry (trimmed of avatar/links noise, which the Action ignores).
 */
export interface PullRequestEventOptions {
  /** `owner/repo` of the base repository. */
  repository: string;
  number: number;
  headSha: string;
  baseSha?: string;
  /** `owner/repo` of the head branch; differs from `repository` for a fork. */
  headRepository?: string;
  action?: 'opened' | 'synchronize' | 'reopened';
  headRef?: string;
}

const API = 'https://api.github.com';

function repo(fullName: string, id: number, fork: boolean) {
  const [owner, name] = fullName.split('/') as [string, string];
  return {
    id,
    node_id: `R_kgDO${id.toString(36)}`,
    name,
    full_name: fullName,
    private: false,
    owner: {
      login: owner,
      id: id + 1,
      node_id: `O_kgDO${id}`,
      type: 'Organization',
      site_admin: false,
    },
    html_url: `https://github.com/${fullName}`,
    description: 'GitOps tree for Alfred',
    fork,
    url: `${API}/repos/${fullName}`,
    default_branch: 'main',
    visibility: 'public',
  };
}

/** A `pull_request` event (as for `on: pull_request`). */
export function pullRequestEvent(o: PullRequestEventOptions): Record<string, unknown> {
  const base = repo(o.repository, 700_001, false);
  const headName = o.headRepository ?? o.repository;
  const head = headName === o.repository ? base : repo(headName, 700_777, true);
  const user = {
    login: 'dev-ada',
    id: 5_001,
    node_id: 'U_kgDOada',
    type: 'User',
    site_admin: false,
  };
  return {
    action: o.action ?? 'synchronize',
    number: o.number,
    pull_request: {
      url: `${API}/repos/${o.repository}/pulls/${o.number}`,
      id: 2_100_000_000 + o.number,
      node_id: `PR_kwDO${o.number}`,
      html_url: `https://github.com/${o.repository}/pull/${o.number}`,
      diff_url: `https://github.com/${o.repository}/pull/${o.number}.diff`,
      issue_url: `${API}/repos/${o.repository}/issues/${o.number}`,
      comments_url: `${API}/repos/${o.repository}/issues/${o.number}/comments`,
      number: o.number,
      state: 'open',
      locked: false,
      title: 'Raise API replicas in us-east',
      user,
      body: 'Scale up before the launch.',
      created_at: '2026-11-26T08:00:00Z',
      updated_at: '2026-11-26T09:00:00Z',
      draft: false,
      head: {
        label: `${head.owner.login}:${o.headRef ?? 'scale-us-east'}`,
        ref: o.headRef ?? 'scale-us-east',
        sha: o.headSha,
        user: head.owner,
        repo: head,
      },
      base: {
        label: `${base.owner.login}:main`,
        ref: 'main',
        sha: o.baseSha ?? 'b'.repeat(40),
        user: base.owner,
        repo: base,
      },
      author_association: 'MEMBER',
      merged: false,
      mergeable_state: 'unknown',
      commits: 1,
      additions: 2,
      deletions: 1,
      changed_files: 1,
    },
    repository: base,
    organization: { login: base.owner.login, id: base.owner.id },
    sender: user,
  };
}

/** A `push` event (no pull request: the Action writes the summary only). */
export function pushEvent(repository: string, sha: string): Record<string, unknown> {
  const base = repo(repository, 700_001, false);
  return {
    ref: 'refs/heads/main',
    before: 'c'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    head_commit: { id: sha, message: 'Merge pull request', timestamp: '2026-11-26T09:00:00Z' },
    repository: base,
    pusher: { name: 'dev-ada', email: 'ada@example.invalid' },
    sender: { login: 'dev-ada', id: 5_001, type: 'User' },
  };
}

/** A `schedule` event (as for `on: schedule`): no pull request, no sender action. */
export function scheduleEvent(repository: string, cron = '17 6 * * *'): Record<string, unknown> {
  const base = repo(repository, 700_001, false);
  return {
    schedule: cron,
    workflow: '.github/workflows/drift-nightly.yml',
    repository: base,
    organization: { login: base.owner.login, id: base.owner.id },
    sender: { login: 'dev-ada', id: 5_001, type: 'User' },
  };
}

/** A `workflow_dispatch` event (someone pressed "Run workflow"). */
export function workflowDispatchEvent(repository: string): Record<string, unknown> {
  const base = repo(repository, 700_001, false);
  return {
    inputs: {},
    ref: 'refs/heads/main',
    workflow: '.github/workflows/drift-nightly.yml',
    repository: base,
    organization: { login: base.owner.login, id: base.owner.id },
    sender: { login: 'dev-ada', id: 5_001, type: 'User' },
  };
}
