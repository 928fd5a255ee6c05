import { actionsRuntime } from '../adapters/actions/toolkit';
import { runPost } from './cleanup';

// Entry of the Action's `post:` step (dist/post.js).
process.exitCode = runPost(actionsRuntime());
