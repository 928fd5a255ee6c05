import { exitOnSignals } from '../adapters/interrupt';
import { actionsRuntime } from '../adapters/actions/toolkit';
import { createIssueCommentsApi } from '../adapters/github/issue-comments';
import { createIssuesApi } from '../adapters/github/issues-api';
import { runCheck } from '../pipeline/run-check';
import { runAction } from './run';

// Entry of the Action (dist/index.js): wire the real runner, pipeline and GitHub API.
exitOnSignals();
process.exitCode = await runAction({
  runtime: actionsRuntime(),
  runCheck,
  commentsApi: (options) => createIssueCommentsApi(options),
  issuesApi: (options) => createIssuesApi(options),
});
