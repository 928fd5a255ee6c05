import { request, Agent } from 'node:https';
import { readFileSync } from 'node:fs';

/**
 * A deliberately small HTTPS client for the harness's own calls to a region: health
 * checks, discovery, and server-side apply of the RBAC objects and CRDs. It avoids
 * depending on kubectl or on the product's own Kubernetes adapter, so the harness can
 * start clusters before either is available and a bug there cannot hide here.
 */

/** TLS material of one identity: the CA that signed the server, plus a client cert/key. */
export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
  /** A bearer token to send instead of (or besides) a client certificate. */
  token?: string;
}

/** A response with its raw body. */
export interface ApiResponse {
  status: number;
  body: string;
}

/** Minimal Kubernetes object shape the harness touches. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** An HTTPS client bound to one server and one identity. */
export class ApiClient {
  private readonly agent: Agent;
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();
  private readonly token: string | undefined;

  constructor(
    readonly server: string,
    tls: TlsFiles,
  ) {
    this.token = tls.token;
    this.agent = new Agent({
      ca: readFileSync(tls.ca),
      cert: tls.cert ? readFileSync(tls.cert) : undefined,
      key: tls.key ? readFileSync(tls.key) : undefined,
      keepAlive: true,
      maxSockets: 4,
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Sends one request; never throws for an HTTP status, only for a network error or timeout. */
  request(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
    timeoutMs = 30_000,
  ): Promise<ApiResponse> {
    const url = new URL(path, this.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            'user-agent': 'mr-drift-harness',
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
            ...(body !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
              : {}),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** GET a path and parse JSON; throws with the server's message on a non-2xx status. */
  async getJson<T>(path: string): Promise<T> {
    const res = await this.request('GET', path);
    if (res.status < 200 || res.status > 299) throw apiError('GET', path, res);
    return JSON.parse(res.body) as T;
  }

  /**
   * Server-side applies one object with the given field manager (force: the harness
   * owns these objects). Returns the object as stored.
   */
  async apply(obj: KubeObject, fieldManager: string): Promise<KubeObject> {
    const path = await this.objectPath(obj);
    const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true`;
    // JSON is valid YAML, so the apply-patch content type accepts it as it is.
    const res = await this.request(
      'PATCH',
      path + query,
      JSON.stringify(obj),
      'application/apply-patch+yaml',
      120_000,
    );
    if (res.status < 200 || res.status > 299) throw apiError('apply', describe(obj), res);
    return JSON.parse(res.body) as KubeObject;
  }

  /** The REST path of an object, found through discovery (cached per group/version). */
  async objectPath(obj: KubeObject): Promise<string> {
    const info = await this.resourceFor(obj.apiVersion, obj.kind);
    const base = obj.apiVersion.includes('/')
      ? `/apis/${obj.apiVersion}`
      : `/api/${obj.apiVersion}`;
    const ns = info.namespaced
      ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}`
      : '';
    return `${base}${ns}/${info.plural}/${encodeURIComponent(obj.metadata.name)}`;
  }

  private async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = await this.getJson<{
        resources: { name: string; kind: string; namespaced: boolean }[];
      }>(path);
      kinds = new Map();
      for (const r of list.resources) {
        if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
      }
      this.discovery.set(apiVersion, kinds);
    }
    const info = kinds.get(kind);
    if (!info) throw new Error(`the server has no ${kind} in ${apiVersion}`);
    return info;
  }
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind} ${ns}${obj.metadata.name}`;
}

function apiError(verb: string, what: string, res: ApiResponse): Error {
  let message = res.body.slice(0, 500);
  try {
    message = (JSON.parse(res.body) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  return new Error(`${verb} ${what}: HTTP ${res.status}: ${message}`);
}
