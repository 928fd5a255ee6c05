import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * A local Git server speaking smart HTTP on 127.0.0.1, for the GitOps engines the test
 * regions run: Flux's source-controller (go-git v5, which speaks only smart HTTP) and
 * Argo CD's repo-server (the git CLI). Each request is handed to `git http-backend`, git's
 * own CGI program, so what the engines talk to is real Git: every protocol version, shallow
 * fetches and pushes. This file only translates one HTTP request into one CGI run.
 *
 *   const git = await startGitServer(dir);        // serves every bare repo under dir
 *   const url = await git.createBareRepo('fleet'); // http://127.0.0.1:PORT/fleet.git
 *   const { commit } = await pushFolder({ repoUrl: url, folder: tree, message: 'deploy' });
 *   await git.stop();
 *
 * `npm run cluster -- up` also starts one as a process of its own (see startGitProcess in
 * git-process.ts); its URL is in `.cluster/state.json` under `git`.
 */

const execFileP = promisify(execFile);

/** Where Debian's, Ubuntu's and Fedora's git packages put the CGI program. */
const BACKEND_CANDIDATES = [
  '/usr/lib/git-core/git-http-backend',
  '/usr/libexec/git-core/git-http-backend',
];

/** A running server. */
export interface GitServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The folder whose bare repositories are served (`<name>.git`). */
  root: string;
  /** The clone URL of a repository under root: `http://127.0.0.1:<port>/<name>.git`. */
  repoUrl(name: string): string;
  /** Creates `<root>/<name>.git` (bare, push enabled, default branch main); returns its URL. */
  createBareRepo(name: string): Promise<string>;
  /** Stops listening and ends open connections. */
  stop(): Promise<void>;
}

/** Options of startGitServer. */
export interface GitServerOptions {
  /** Port to listen on; 0 (the default) lets the kernel pick a free one. */
  port?: number;
  /** Called with one line per request that failed (for a log file). */
  log?: (line: string) => void;
}

const REPO_NAME = /^[a-z0-9]([-a-z0-9._]{0,62}[a-z0-9])?$/i;

/** Throws unless `name` is a plain repository name (no slashes, no `..`, no `.git`). */
export function checkRepoName(name: string): void {
  if (!REPO_NAME.test(name) || name.includes('..') || name.endsWith('.git')) {
    throw new Error(
      `git server: "${name}" is not a usable repository name; use letters, digits, dots, dashes and underscores, without ".git"`,
    );
  }
}

/** Path of the CGI program, or an error saying how to get it. */
export function gitHttpBackend(): string {
  const found = BACKEND_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `git server: git-http-backend not found (looked in ${BACKEND_CANDIDATES.join(', ')}); install git (apt-get install git)`,
    );
  }
  return found;
}

/**
 * Creates a bare repository `<root>/<name>.git` that accepts pushes over HTTP
 * (`http.receivepack true`; without it git http-backend allows pushes only from an
 * authenticated REMOTE_USER) and whose HEAD is `main`. Creating one that exists is a no-op.
 */
export async function createBareRepo(root: string, name: string): Promise<string> {
  checkRepoName(name);
  const dir = join(resolve(root), `${name}.git`);
  if (existsSync(join(dir, 'HEAD'))) return dir;
  mkdirSync(root, { recursive: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  await git(['config', 'http.receivepack', 'true'], dir);
  // Pushed refs are never rewritten by the tests; keep the server side simple.
  await git(['config', 'receive.denyNonFastForwards', 'false'], dir);
  return dir;
}

/** Starts serving every bare repository under `root` on 127.0.0.1. */
export async function startGitServer(
  root: string,
  opts: GitServerOptions = {},
): Promise<GitServer> {
  const projectRoot = resolve(root);
  mkdirSync(projectRoot, { recursive: true });
  const backend = gitHttpBackend();
  const log = opts.log ?? (() => {});
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    handle(req, res, projectRoot, backend, log);
  });
  // Fetches of big packs can take a while on a loaded machine; never cut them off.
  server.requestTimeout = 0;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const repoUrl = (name: string): string => {
    checkRepoName(name);
    return `${url}/${name}.git`;
  };
  return {
    url,
    root: projectRoot,
    repoUrl,
    async createBareRepo(name: string): Promise<string> {
      await createBareRepo(projectRoot, name);
      return repoUrl(name);
    },
    stop: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}

/** One request = one run of git http-backend (RFC 3875 CGI). */
function handle(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  backend: string,
  log: (line: string) => void,
): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = decodeURIComponent(url.pathname);
  // git http-backend checks paths itself, but refuse anything that could climb out early.
  if (path.split('/').includes('..') || path.includes('\0')) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad path\n');
    return;
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    SERVER_SOFTWARE: 'mr-drift-test-git-server',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: path,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    // The git CLI gzips large request bodies; http-backend unzips them when told.
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
    // Protocol v2 is asked for with this header and passed on in GIT_PROTOCOL.
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
  };
  const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {
    // The backend may answer (e.g. 403) without reading the body.
  });
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = headerEnd(head);
    if (!split) return;
    headersDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, split.at).toString('latin1'));
    res.writeHead(status, headers);
    const rest = head.subarray(split.at + split.length);
    if (rest.length) res.write(rest);
  });
  child.on('error', (err) => {
    log(`${req.method} ${req.url}: could not run ${backend}: ${err.message}`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('git http-backend failed\n');
  });
  child.on('close', (code) => {
    if (!headersDone) {
      log(`${req.method} ${req.url}: git http-backend exited ${code}: ${stderr.trim()}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend failed: ${stderr.trim()}\n`);
      return;
    }
    if (code !== 0)
      log(`${req.method} ${req.url}: git http-backend exited ${code}: ${stderr.trim()}`);
    res.end();
  });
  // A client that goes away must not leave the backend waiting on its stdin.
  res.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
}

function headerEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

/** CGI response headers: `Status: 404 Not Found` sets the code; the rest pass through. */
export function parseCgiHeaders(block: string): {
  status: number;
  headers: Record<string, string>;
} {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name.toLowerCase() === 'status') {
      const code = Number.parseInt(value, 10);
      if (code >= 100 && code <= 599) status = code;
    } else {
      headers[name] = value;
    }
  }
  return { status, headers };
}

/** Options of pushFolder. */
export interface PushFolderOptions {
  /** Clone URL of the repository (from repoUrl/createBareRepo). */
  repoUrl: string;
  /** The folder whose content becomes the content of `path` in the repository. */
  folder: string;
  /** Branch to commit on (default main). Created from `from` when it does not exist. */
  branch?: string;
  /** Branch a new `branch` starts from (default main; an empty repository starts empty). */
  from?: string;
  /** Folder inside the repository to replace (default: the whole repository). */
  path?: string;
  message: string;
  /** Commit author (default `mr-drift tests <tests@mr-drift.invalid>`). */
  author?: { name: string; email: string };
}

/** What pushFolder did. */
export interface PushResult {
  /** The commit the branch points at now. */
  commit: string;
  /** False when the folder matched the branch already (nothing was committed or pushed). */
  changed: boolean;
}

/**
 * Makes `path` in the repository's `branch` hold exactly the files of `folder` (files
 * missing from the folder are deleted), commits and pushes over HTTP, as a person or a CI
 * job would. Goes through the server like every other client, in a temporary clone.
 */
export async function pushFolder(opts: PushFolderOptions): Promise<PushResult> {
  const branch = opts.branch ?? 'main';
  const from = opts.from ?? 'main';
  const author = opts.author ?? { name: 'mr-drift tests', email: 'tests@mr-drift.invalid' };
  if (!existsSync(opts.folder)) throw new Error(`pushFolder: ${opts.folder} does not exist`);
  const work = mkdtempSync(join(tmpdir(), 'mr-drift-push-'));
  try {
    await git(['init', '--quiet', '--initial-branch', branch, work]);
    await git(['remote', 'add', 'origin', opts.repoUrl], work);
    const heads = await remoteBranches(opts.repoUrl, work);
    const start = heads.has(branch) ? branch : heads.has(from) ? from : undefined;
    if (start) {
      await git(['fetch', '--quiet', '--depth=1', 'origin', start], work);
      await git(['checkout', '--quiet', '-B', branch, 'FETCH_HEAD'], work);
    }
    const target = opts.path ? join(work, opts.path) : work;
    if (opts.path) {
      rmSync(target, { recursive: true, force: true });
    } else {
      for (const entry of readdirSync(work)) {
        if (entry !== '.git') rmSync(join(work, entry), { recursive: true, force: true });
      }
    }
    mkdirSync(target, { recursive: true });
    cpSync(opts.folder, target, { recursive: true });
    await git(['add', '--all'], work);
    const dirty = (await git(['status', '--porcelain'], work)).trim() !== '';
    if (!dirty && start === branch) {
      return { commit: (await git(['rev-parse', 'HEAD'], work)).trim(), changed: false };
    }
    if (!dirty && start) {
      // A new branch with the same content: point it at the commit it starts from.
      await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
      return { commit: (await git(['rev-parse', 'HEAD'], work)).trim(), changed: true };
    }
    const env = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    await git(
      ['commit', '--quiet', '--allow-empty', '--no-gpg-sign', '-m', opts.message],
      work,
      env,
    );
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
    const commit = (await git(['rev-parse', 'HEAD'], work)).trim();
    return { commit, changed: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The branches of a remote repository, by `git ls-remote`. */
async function remoteBranches(repoUrl: string, cwd: string): Promise<Set<string>> {
  const out = await git(['ls-remote', '--heads', repoUrl], cwd);
  return new Set(
    out
      .split('\n')
      .map((l) => l.split('\t')[1] ?? '')
      .filter((ref) => ref.startsWith('refs/heads/'))
      .map((ref) => ref.slice('refs/heads/'.length)),
  );
}

/** Runs git with no user or system configuration, so the machine's settings never leak in. */
export async function git(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<string> {
  try {
    const { stdout } = await execFileP('git', args, {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
        ...env,
      },
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`git ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`, {
      cause: err,
    });
  }
}
