/**
 * The local Git server as a process of its own, for `npm run cluster -- up` (which starts
 * it detached, see git-process.ts):
 *
 *   node --import tsx test/cluster/git-serve.ts --root DIR [--port N] --ready FILE
 *
 * Serves every bare repository under DIR on 127.0.0.1 and, once listening, writes
 * `{"url": ..., "pid": ...}` to FILE. Stops on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startGitServer } from './git-server';
import { writeAtomic } from './state';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    port: { type: 'string', default: '0' },
    ready: { type: 'string' },
  },
});
if (!values.root || !values.ready) {
  process.stderr.write('usage: git-serve.ts --root DIR [--port N] --ready FILE\n');
  process.exit(2);
}
const server = await startGitServer(values.root, {
  port: Number(values.port),
  log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
});
writeAtomic(values.ready, `${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.stderr.write(`${new Date().toISOString()} serving ${server.root} at ${server.url}\n`);
const stop = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
