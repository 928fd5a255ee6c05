import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitServer } from '../cluster/git-server';
import { processAlive } from '../cluster/processes';
import { readState } from '../cluster/state';
import {
  clusterInfo,
  describeCluster,
  git,
  gitServer,
  pushFolder,
  uniqueName,
} from '../cluster/testing';

/**
 * The local Git server (test/cluster/git-server.ts): real `git` clients clone, push and
 * fetch through it over smart HTTP, in both wire protocol versions the engines use.
 */

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mr-drift-git-test-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function writeTree(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

describe('git server (in process)', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer(join(work, 'repos'));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves a pushed tree to git clone, and a second push to git fetch, in protocol v0 and v2', async () => {
    const url = await server.createBareRepo('fleet');
    expect(url).toBe(`${server.url}/fleet.git`);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const tree = join(work, 'tree');
    writeTree(tree, {
      'regions/us-east/kustomization.yaml': 'resources: []\n',
      'README.md': 'x\n',
    });
    const first = await pushFolder({ repoUrl: url, folder: tree, message: 'first' });
    expect(first.changed).toBe(true);

    for (const version of ['0', '2']) {
      const clone = join(work, `clone-v${version}`);
      await git(['-c', `protocol.version=${version}`, 'clone', '--quiet', url, clone]);
      expect((await git(['rev-parse', 'HEAD'], clone)).trim()).toBe(first.commit);
      expect(readFileSync(join(clone, 'regions/us-east/kustomization.yaml'), 'utf8')).toBe(
        'resources: []\n',
      );
    }

    // Same content again: nothing to commit, same commit.
    const same = await pushFolder({ repoUrl: url, folder: tree, message: 'same' });
    expect(same).toEqual({ commit: first.commit, changed: false });

    // A change, with a file removed: the new commit mirrors the folder.
    writeTree(tree, { 'regions/us-east/kustomization.yaml': 'resources: [a.yaml]\n' });
    const second = await pushFolder({ repoUrl: url, folder: tree, message: 'second' });
    expect(second.changed).toBe(true);
    expect(second.commit).not.toBe(first.commit);
    for (const version of ['0', '2']) {
      const clone = join(work, `clone-v${version}`);
      await git(['-c', `protocol.version=${version}`, 'pull', '--quiet', '--ff-only'], clone);
      expect((await git(['rev-parse', 'HEAD'], clone)).trim()).toBe(second.commit);
      expect((await git(['ls-files'], clone)).trim()).toBe('regions/us-east/kustomization.yaml');
      expect((await git(['log', '--format=%s'], clone)).trim().split('\n')).toEqual([
        'second',
        'first',
      ]);
    }
  });

  it('takes a push from a plain git client, and a branch; a shallow clone gets only the tip', async () => {
    const url = await server.createBareRepo('plain');
    const repo = join(work, 'plain');
    await git(['init', '--quiet', '--initial-branch=main', repo]);
    // 1 MiB of random data: the pack exceeds git's 1 MiB http.postBuffer, so the push goes
    // out chunked, with no Content-Length for the CGI.
    writeFileSync(join(repo, 'blob.bin'), randomBytes(1024 * 1024));
    const id = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid'];
    await git([...id, 'add', '.'], repo);
    await git([...id, 'commit', '--quiet', '-m', 'one'], repo);
    writeFileSync(join(repo, 'two.txt'), '2\n');
    await git([...id, 'add', '.'], repo);
    await git([...id, 'commit', '--quiet', '-m', 'two'], repo);
    await git(['push', '--quiet', url, 'main', 'main:refs/heads/feature'], repo);

    const heads = await git(['ls-remote', '--heads', url]);
    expect(heads).toMatch(/\trefs\/heads\/main\n/);
    expect(heads).toMatch(/\trefs\/heads\/feature\n/);

    const shallow = join(work, 'shallow');
    await git(['clone', '--quiet', '--depth=1', '--branch=feature', url, shallow]);
    expect((await git(['rev-list', '--count', 'HEAD'], shallow)).trim()).toBe('1');
    expect(readFileSync(join(shallow, 'blob.bin')).length).toBe(1024 * 1024);
  });

  it('pushFolder on a new branch starts from main and leaves main alone', async () => {
    const url = await server.createBareRepo('branches');
    const tree = join(work, 'branch-tree');
    writeTree(tree, { 'a.yaml': 'image: v1\n' });
    const main = await pushFolder({ repoUrl: url, folder: tree, message: 'main' });
    writeTree(tree, { 'a.yaml': 'image: v2\n' });
    const pr = await pushFolder({ repoUrl: url, folder: tree, branch: 'pr-1', message: 'pr' });
    const clone = join(work, 'branches-clone');
    await git(['clone', '--quiet', '--branch=pr-1', url, clone]);
    expect((await git(['rev-parse', 'HEAD^'], clone)).trim()).toBe(main.commit);
    expect((await git(['rev-parse', 'HEAD'], clone)).trim()).toBe(pr.commit);
    expect((await git(['rev-parse', 'origin/main'], clone)).trim()).toBe(main.commit);
  });

  it('answers 404 for a repository that does not exist, and refuses bad names', async () => {
    await expect(git(['ls-remote', server.repoUrl('missing')])).rejects.toThrow(/not found|404/i);
    expect(() => server.repoUrl('../etc')).toThrow(/not a usable repository name/);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${server.url}/a/../../x.git/info/refs?service=git-upload-pack`, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBeGreaterThanOrEqual(400);
  });
});

describeCluster('git server started with the clusters', () => {
  it('runs as a recorded process beside the regions, and serves clone and push', async () => {
    const info = clusterInfo();
    const record = readState(info.clusterDir).git;
    expect(record?.url).toBe(info.gitUrl);
    expect(record && processAlive(record.pid)).toBe(true);

    const srv = gitServer();
    const name = uniqueName('git-test');
    const url = await srv.createBareRepo(name);
    const tree = join(work, 'cluster-tree');
    writeTree(tree, { 'x.yaml': 'kind: ConfigMap\n' });
    const pushed = await pushFolder({ repoUrl: url, folder: tree, message: 'from the test' });
    const clone = join(work, 'cluster-clone');
    await git(['clone', '--quiet', url, clone]);
    expect((await git(['rev-parse', 'HEAD'], clone)).trim()).toBe(pushed.commit);
    rmSync(join(srv.root, `${name}.git`), { recursive: true, force: true });
  });
});
