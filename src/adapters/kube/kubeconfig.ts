/**
 * Reads kubeconfig files the way kubectl does, without @kubernetes/client-node (whose
 * module graph took longer to load than a whole read-only check spends on its clusters).
 *
 * - An explicit file is read alone; otherwise the files listed in KUBECONFIG are
 *   merged (the first file to define a cluster, user or context name wins, and the first to
 *   set `current-context`), else `~/.kube/config`, else the in-cluster ServiceAccount.
 * - Relative file paths (certificates, keys, token files, an exec command with a slash)
 *   are resolved against the folder of the file that names them.
 *
 * Only the fields the drift check uses are read. Messages name the file and the field and
 * never quote values: a kubeconfig holds credentials from top to bottom.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { KubeconfigError } from '../../core/errors';

/** A cluster entry: where the API server is and how to trust it. */
export interface KubeconfigCluster {
  name: string;
  server: string;
  /** CA bundle file (absolute) or inline PEM (base64 in the file, decoded here). */
  certificateAuthority?: string;
  certificateAuthorityData?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

/** An exec credential plugin (`users[].user.exec`), run to get a token or a certificate. */
export interface KubeconfigExec {
  apiVersion: string;
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode?: string;
}

/** A user entry: the credentials. */
export interface KubeconfigUser {
  name: string;
  clientCertificate?: string;
  clientCertificateData?: Buffer;
  clientKey?: string;
  clientKeyData?: Buffer;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  /** Impersonation (`as`, `as-groups`, `as-uid`). */
  as?: string;
  asGroups?: string[];
  asUid?: string;
  exec?: KubeconfigExec;
  /** Legacy auth providers (gcp, azure, oidc ...), handed to @kubernetes/client-node. */
  authProvider?: { name: string; config: Record<string, string> };
}

/** A context: a cluster, a user and a default namespace under one name. */
export interface KubeconfigContext {
  name: string;
  cluster: string;
  user?: string;
  namespace?: string;
}

/** The merged kubeconfig. */
export class Kubeconfig {
  readonly clusters = new Map<string, KubeconfigCluster>();
  readonly users = new Map<string, KubeconfigUser>();
  readonly contexts = new Map<string, KubeconfigContext>();
  currentContext?: string;

  constructor(
    /** The files read, in order (for messages). */
    readonly files: readonly string[],
  ) {}

  /** Context names, in the order the files define them. */
  contextNames(): string[] {
    return [...this.contexts.keys()];
  }
}

/** Where the in-cluster ServiceAccount credentials are mounted in a pod. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What the file search looks at (tests pass their own). */
export interface KubeconfigSearch {
  /** The KUBECONFIG variable. */
  kubeconfigVar?: string;
  home?: string;
  /** KUBERNETES_SERVICE_HOST / _PORT, for the in-cluster fallback. */
  serviceHost?: string;
  servicePort?: string;
  serviceAccountDir?: string;
  /** Whether a file exists (tests pass their own). */
  exists?: (file: string) => boolean;
}

function defaultSearch(): KubeconfigSearch {
  return {
    ...(process.env.KUBECONFIG !== undefined ? { kubeconfigVar: process.env.KUBECONFIG } : {}),
    home: homedir(),
    ...(process.env.KUBERNETES_SERVICE_HOST
      ? { serviceHost: process.env.KUBERNETES_SERVICE_HOST }
      : {}),
    ...(process.env.KUBERNETES_SERVICE_PORT
      ? { servicePort: process.env.KUBERNETES_SERVICE_PORT }
      : {}),
  };
}

/**
 * Loads the kubeconfig the way kubectl finds it: `file` when given, else the files in
 * KUBECONFIG (merged), else `~/.kube/config`, else the in-cluster ServiceAccount. Finding
 * none is bad input before any cluster is contacted, naming what was looked for, rather
 * than one "no context named ..." error per region. Unlike kubectl, which skips them
 * silently, a KUBECONFIG entry naming a missing file is refused: it is almost always a
 * typo, and skipping it would check other clusters than the user meant. A malformed file
 * is refused naming the file and field (never a value).
 */
export function loadKubeconfig(
  file?: string,
  search: KubeconfigSearch = defaultSearch(),
): Kubeconfig {
  const exists = search.exists ?? existsSync;
  if (file !== undefined) {
    if (!exists(file))
      throw new KubeconfigError(
        (say) => `${say.subject('kubeconfig', file)}: no such file`,
        (say) =>
          `Pass the path of a kubeconfig file, or leave ${say.option('kubeconfig')} out to use KUBECONFIG or ~/.kube/config.`,
      );
    return mergeFiles([file]);
  }
  const listed = (search.kubeconfigVar ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) {
    const missing = listed.filter((f) => !exists(f));
    if (missing.length > 0)
      throw new KubeconfigError(
        `KUBECONFIG names ${missing.length === 1 ? 'a file that does' : 'files that do'} not exist: ${missing.join(', ')}`,
        (say) => `Fix KUBECONFIG, or pass ${say.option('kubeconfig', '<file>')}.`,
      );
    return mergeFiles(listed);
  }
  const home = search.home ? join(search.home, '.kube', 'config') : undefined;
  if (home && exists(home)) return mergeFiles([home]);
  const inCluster = inClusterConfig(search);
  if (inCluster) return inCluster;
  throw new KubeconfigError(
    (say) =>
      `no kubeconfig: ${say.option('kubeconfig')} is not given, KUBECONFIG is not set, and ${home ?? '~/.kube/config'} does not exist`,
    (say) => `Pass ${say.option('kubeconfig', '<file>')}, or set KUBECONFIG.`,
  );
}

/** Merges files in order; the first definition of each name wins, as in kubectl. */
function mergeFiles(files: string[]): Kubeconfig {
  const kc = new Kubeconfig(files);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new KubeconfigError(
        `cannot read the kubeconfig: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'Check that the file is a valid kubeconfig (kubectl config view should print it).',
      );
    }
    try {
      readInto(kc, text, file);
    } catch (e) {
      // Messages name the file and field (never a value): `<file>: users[0].user.exec: ...`.
      if (!(e instanceof KubeconfigError)) throw e;
      throw new KubeconfigError(
        `cannot read the kubeconfig: ${e.message}`,
        e.hint ??
          'Check that the file is a valid kubeconfig (kubectl config view should print it).',
      );
    }
  }
  return kc;
}

/**
 * Parses one kubeconfig document into `kc`. `file` names it in messages and anchors
 * relative paths (none for text that came from elsewhere).
 */
export function readInto(kc: Kubeconfig, text: string, file: string): void {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    // js-yaml's message quotes the text around the error: keep only the position.
    const line = (e as { mark?: { line?: number } }).mark?.line;
    throw new KubeconfigError(
      `${file}${line !== undefined ? `:${line + 1}` : ''}: not valid YAML`,
      'Check the file with `kubectl config view --kubeconfig <file>`.',
    );
  }
  if (doc === undefined || doc === null) return;
  if (!isRecord(doc)) throw new KubeconfigError(`${file}: expected a kubeconfig (a mapping)`);
  const fail = (field: string, what: string) =>
    new KubeconfigError(
      `${file}: ${field}: ${what}`,
      'Fix the kubeconfig; `kubectl config view` shows what kubectl makes of it.',
    );
  const dir = dirname(resolve(file));
  const path = (p: unknown, field: string): string | undefined => {
    if (p === undefined || p === null || p === '') return undefined;
    if (typeof p !== 'string') throw fail(field, 'expected a file path');
    return isAbsolute(p) ? p : join(dir, p);
  };
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw fail(field, 'expected a string');
    return v;
  };
  const base64 = (v: unknown, field: string): Buffer | undefined => {
    const s = str(v, field);
    return s === undefined ? undefined : Buffer.from(s, 'base64');
  };
  const entries = (
    key: string,
  ): Array<{ name: string; body: Record<string, unknown>; at: string }> => {
    const list = doc[key];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw fail(key, 'expected a list');
    return list.map((e, i) => {
      const at = `${key}[${i}]`;
      if (!isRecord(e)) throw fail(at, 'expected a mapping');
      if (typeof e.name !== 'string' || e.name === '') throw fail(`${at}.name`, 'missing');
      const bodyKey = key.slice(0, -1);
      const body = e[bodyKey] ?? {};
      if (!isRecord(body)) throw fail(`${at}.${bodyKey}`, 'expected a mapping');
      return { name: e.name, body, at: `${at}.${bodyKey}` };
    });
  };

  for (const { name, body, at } of entries('clusters')) {
    if (kc.clusters.has(name)) continue;
    const server = str(body.server, `${at}.server`);
    if (!server) throw fail(`${at}.server`, 'missing');
    const cluster: KubeconfigCluster = {
      name,
      server: server.replace(/\/+$/, ''),
      insecureSkipTlsVerify: body['insecure-skip-tls-verify'] === true,
    };
    const ca = path(body['certificate-authority'], `${at}.certificate-authority`);
    if (ca) cluster.certificateAuthority = ca;
    const caData = base64(body['certificate-authority-data'], `${at}.certificate-authority-data`);
    if (caData) cluster.certificateAuthorityData = caData;
    const sni = str(body['tls-server-name'], `${at}.tls-server-name`);
    if (sni) cluster.tlsServerName = sni;
    const proxy = str(body['proxy-url'], `${at}.proxy-url`);
    if (proxy) cluster.proxyUrl = proxy;
    kc.clusters.set(name, cluster);
  }

  for (const { name, body, at } of entries('users')) {
    if (kc.users.has(name)) continue;
    const user: KubeconfigUser = { name };
    const set = <K extends keyof KubeconfigUser>(key: K, value: KubeconfigUser[K] | undefined) => {
      if (value !== undefined) user[key] = value;
    };
    set('clientCertificate', path(body['client-certificate'], `${at}.client-certificate`));
    set(
      'clientCertificateData',
      base64(body['client-certificate-data'], `${at}.client-certificate-data`),
    );
    set('clientKey', path(body['client-key'], `${at}.client-key`));
    set('clientKeyData', base64(body['client-key-data'], `${at}.client-key-data`));
    set('token', str(body.token, `${at}.token`));
    // kubectl writes `tokenFile`; older client libraries read `token-file`.
    set('tokenFile', path(body.tokenFile ?? body['token-file'], `${at}.tokenFile`));
    set('username', str(body.username, `${at}.username`));
    set('password', str(body.password, `${at}.password`));
    set('as', str(body.as, `${at}.as`));
    set('asUid', str(body['as-uid'], `${at}.as-uid`));
    const groups = body['as-groups'];
    if (groups !== undefined && groups !== null) {
      if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))
        throw fail(`${at}.as-groups`, 'expected a list of strings');
      if (groups.length > 0) user.asGroups = groups as string[];
    }
    if (body.exec !== undefined && body.exec !== null)
      user.exec = readExec(body.exec, `${at}.exec`, dir, fail);
    const provider = body['auth-provider'];
    if (provider !== undefined && provider !== null) {
      if (!isRecord(provider) || typeof provider.name !== 'string')
        throw fail(`${at}.auth-provider`, 'expected a mapping with a name');
      user.authProvider = {
        name: provider.name,
        config: isRecord(provider.config) ? (provider.config as Record<string, string>) : {},
      };
    }
    kc.users.set(name, user);
  }

  for (const { name, body, at } of entries('contexts')) {
    if (kc.contexts.has(name)) continue;
    const cluster = str(body.cluster, `${at}.cluster`);
    if (!cluster) throw fail(`${at}.cluster`, 'missing');
    const context: KubeconfigContext = { name, cluster };
    const user = str(body.user, `${at}.user`);
    if (user) context.user = user;
    const namespace = str(body.namespace, `${at}.namespace`);
    if (namespace) context.namespace = namespace;
    kc.contexts.set(name, context);
  }

  const current = str(doc['current-context'], 'current-context');
  if (current && kc.currentContext === undefined) kc.currentContext = current;
}

function readExec(
  raw: unknown,
  at: string,
  dir: string,
  fail: (field: string, what: string) => KubeconfigError,
): KubeconfigExec {
  if (!isRecord(raw)) throw fail(at, 'expected a mapping');
  if (typeof raw.command !== 'string' || raw.command === '') throw fail(`${at}.command`, 'missing');
  if (typeof raw.apiVersion !== 'string' || raw.apiVersion === '')
    throw fail(`${at}.apiVersion`, 'missing (e.g. client.authentication.k8s.io/v1)');
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string'))
    throw fail(`${at}.args`, 'expected a list of strings');
  const env = raw.env ?? [];
  if (
    !Array.isArray(env) ||
    env.some((e) => !isRecord(e) || typeof e.name !== 'string' || typeof e.value !== 'string')
  )
    throw fail(`${at}.env`, 'expected a list of {name, value}');
  // A command with a slash is a path, relative to the kubeconfig; without one, it is
  // looked up on PATH.
  const command =
    raw.command.includes('/') && !isAbsolute(raw.command) ? join(dir, raw.command) : raw.command;
  return {
    apiVersion: raw.apiVersion,
    command,
    args: args as string[],
    env: env as Array<{ name: string; value: string }>,
    ...(typeof raw.installHint === 'string' ? { installHint: raw.installHint } : {}),
    provideClusterInfo: raw.provideClusterInfo === true,
    ...(typeof raw.interactiveMode === 'string' ? { interactiveMode: raw.interactiveMode } : {}),
  };
}

/** The in-cluster ServiceAccount as a kubeconfig, when running in a pod. */
function inClusterConfig(search: KubeconfigSearch): Kubeconfig | undefined {
  const dir = search.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  if (!search.serviceHost || !search.servicePort || !(search.exists ?? existsSync)(tokenFile))
    return undefined;
  const host = search.serviceHost.includes(':') ? `[${search.serviceHost}]` : search.serviceHost;
  const kc = new Kubeconfig([tokenFile]);
  kc.clusters.set('inCluster', {
    name: 'inCluster',
    server: `https://${host}:${search.servicePort}`,
    certificateAuthority: join(dir, 'ca.crt'),
    insecureSkipTlsVerify: false,
  });
  kc.users.set('inClusterUser', { name: 'inClusterUser', tokenFile });
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    // No namespace file: `default`, as for any context without one.
  }
  kc.contexts.set('inClusterContext', {
    name: 'inClusterContext',
    cluster: 'inCluster',
    user: 'inClusterUser',
    ...(namespace ? { namespace } : {}),
  });
  kc.currentContext = 'inClusterContext';
  return kc;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
