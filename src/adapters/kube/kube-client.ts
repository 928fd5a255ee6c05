/**
 * A small HTTP client for one cluster. `@kubernetes/client-node` loads the kubeconfig and
 * supplies credentials and TLS (client certificates, tokens, exec plugins); the requests
 * themselves are raw, so objects stay exactly as the server sent them (the typed models
 * drop unknown fields and turn timestamps into Dates).
 *
 * Adds what client-node lacks: bounded concurrency, retries on 429/503 honouring
 * Retry-After, and a timeout on every request.
 */
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import type https from 'node:https';
import { createSecureContext } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { Limiter } from './limiter';

/** An error answer (or no answer) from the API server. */
export class KubeApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached or timed out. */
    readonly status: number,
    /** The Status `reason` (Forbidden, NotFound, Conflict, Invalid ...) or a network code. */
    readonly reason: string,
    message: string,
    /** The Status `details.causes` (field and message of each invalid field), when given. */
    readonly causes: readonly StatusCause[] = [],
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** One cause of a refused request, as the API server lists it in a Status (422 Invalid ...). */
export interface StatusCause {
  reason?: string;
  message?: string;
  /** Dotted path of the field, e.g. `spec.selector` or `spec.clusterIPs[0]`. */
  field?: string;
}

export interface KubeClientOptions {
  /** kubeconfig file; default: KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string;
  context: string;
  /** Requests in flight at once; default 16. */
  concurrency?: number;
  /** Per-request timeout in ms; default 30 s. */
  timeoutMs?: number;
  /** Retries of a throttled (429) or unavailable (503) request; default 6. */
  maxRetries?: number;
}

/** Why a kubeconfig/context could not be used (the caller turns it into a region error). */
export class KubeConfigProblem extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Loads a kubeconfig the way kubectl does (KUBECONFIG may list several files). */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

export interface KubeResponse {
  status: number;
  body: unknown;
  warnings: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One cluster (one kubeconfig context). */
export class KubeClient {
  private readonly limiter: Limiter;
  /** Requests sent, by HTTP method (for progress and benchmarks). */
  readonly counts: Record<string, number> = {};

  private constructor(
    readonly server: string,
    /** Namespace of the context; `default` when it names none. */
    readonly namespace: string,
    readonly user: string,
    private readonly headers: Record<string, string>,
    private readonly dispatcher: Dispatcher | undefined,
    private readonly opts: Required<Pick<KubeClientOptions, 'timeoutMs' | 'maxRetries'>>,
    concurrency: number,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  /** Resolves the context and its credentials; a bad kubeconfig/context -> KubeConfigProblem. */
  static async connect(kc: KubeConfig, options: KubeClientOptions): Promise<KubeClient> {
    const ctx = kc.getContextObject(options.context);
    if (!ctx) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigProblem(
        `kubeconfig has no context named "${options.context}"`,
        `Pass --context REGION=CONTEXT; contexts in the kubeconfig: ${known.length ? known.join(', ') : '(none)'}.`,
      );
    }
    // Each client gets its own view of the kubeconfig, since client-node reads credentials
    // from the "current" context.
    const own = new KubeConfig();
    own.loadFromOptions({
      clusters: kc.getClusters(),
      users: kc.getUsers(),
      contexts: kc.getContexts(),
      currentContext: options.context,
    });
    const cluster = own.getCurrentCluster();
    if (!cluster)
      throw new KubeConfigProblem(
        `context "${options.context}" names cluster "${ctx.cluster}", which the kubeconfig does not define`,
      );
    const req = new RequestContext(cluster.server, HttpMethod.GET);
    const tlsOptions: https.RequestOptions = {};
    try {
      await own.applySecurityAuthentication(req);
      await own.applyToHTTPSOptions(tlsOptions);
    } catch (e) {
      throw new KubeConfigProblem(
        `cannot load the credentials of context "${options.context}": ${(e as Error).message}`,
      );
    }
    return new KubeClient(
      cluster.server.replace(/\/+$/, ''),
      ctx.namespace || 'default',
      ctx.user,
      req.getHeaders(),
      cluster.proxyUrl
        ? req.getDispatcher()
        : directDispatcher(tlsOptions, options.concurrency ?? 16),
      { timeoutMs: options.timeoutMs ?? 30_000, maxRetries: options.maxRetries ?? 6 },
      options.concurrency ?? 16,
    );
  }

  /**
   * Sends one request (within the concurrency bound), retrying 429/503 after the server's
   * Retry-After (or a short backoff) and connection resets. Error answers -> KubeApiError.
   */
  async request(
    method: 'GET' | 'PATCH',
    path: string,
    init: {
      query?: Record<string, string | undefined>;
      body?: string;
      contentType?: string;
      accept?: string;
    } = {},
  ): Promise<KubeResponse> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(init.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, v);
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    return this.limiter.run(async () => {
      for (let attempt = 0; ; attempt++) {
        let status: number;
        let headers: Record<string, string | string[] | undefined>;
        let text: string;
        try {
          // undici's request(): the same client as fetch() without the WHATWG layers.
          const res = await request(url, {
            method,
            headers: {
              ...this.headers,
              Accept: init.accept ?? 'application/json',
              // Compression costs CPU on both ends and saves little next to a cluster;
              // the API server compresses large lists by default when asked to.
              'Accept-Encoding': 'identity',
              ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
            },
            ...(init.body !== undefined ? { body: init.body } : {}),
            signal: AbortSignal.timeout(this.opts.timeoutMs),
            ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
          });
          status = res.statusCode;
          headers = res.headers;
          text = await res.body.text();
        } catch (e) {
          const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
          const code =
            err.name === 'TimeoutError' ? 'Timeout' : (err.code ?? err.cause?.code ?? err.name);
          // A reset connection is worth one more try; refused/unknown host/timeouts are not.
          if ((code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') && attempt < 2) {
            await sleep(200 * (attempt + 1));
            continue;
          }
          const detail =
            code === 'Timeout'
              ? `no answer from ${this.server} within ${this.opts.timeoutMs / 1000} s`
              : `cannot reach ${this.server}: ${err.cause?.message ?? err.message}`;
          throw new KubeApiError(0, code, detail);
        }
        const header = (name: string) => {
          const v = headers[name];
          return Array.isArray(v) ? v.join(', ') : (v ?? '');
        };
        if ((status === 429 || status === 503) && attempt < this.opts.maxRetries) {
          const after = Number(header('retry-after'));
          const wait =
            Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1000 : 250 * 2 ** attempt;
          await sleep(wait);
          continue;
        }
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // Plain-text answers (APF's 429, proxies) stay text.
        }
        if (status >= 400) throw apiError(status, body);
        const warnings = header('warning')
          .split(/,(?=\s*\d{3} )/)
          .map((w) => w.trim().replace(/^299 - "?|"$/g, ''))
          .filter(Boolean);
        return { status, body, warnings };
      }
    });
  }

  /** GET returning the parsed JSON body. */
  async getJson(
    path: string,
    query?: Record<string, string | undefined>,
    accept?: string,
  ): Promise<unknown> {
    return (
      await this.request('GET', path, {
        ...(query ? { query } : {}),
        ...(accept ? { accept } : {}),
      })
    ).body;
  }
}

/**
 * A connection pool whose TLS context (CA, client certificate and key) is built once:
 * client-node's dispatcher rebuilds it for every new connection, which showed up as the
 * largest CPU cost of a check with many connections.
 */
function directDispatcher(o: https.RequestOptions, connections: number): Dispatcher | undefined {
  const material =
    o.ca !== undefined || o.cert !== undefined || o.key !== undefined || o.pfx !== undefined;
  if (!material && o.rejectUnauthorized === undefined && o.servername === undefined)
    return undefined;
  const secureContext = material
    ? createSecureContext({
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
        ...(o.cert !== undefined ? { cert: o.cert } : {}),
        ...(o.key !== undefined ? { key: o.key } : {}),
        ...(o.pfx !== undefined ? { pfx: o.pfx } : {}),
        ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
      })
    : undefined;
  return new Agent({
    connections,
    connect: {
      ...(secureContext ? { secureContext } : {}),
      ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
      keepAlive: true,
    },
  });
}

function apiError(status: number, body: unknown): KubeApiError {
  const s = (typeof body === 'object' && body !== null ? body : {}) as {
    reason?: string;
    message?: string;
    details?: { causes?: unknown };
  };
  const fallback: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    429: 'TooManyRequests',
  };
  const reason =
    s.reason || fallback[status] || (status >= 500 ? 'InternalError' : `HTTP${status}`);
  const message =
    s.message ??
    (typeof body === 'string' && body.trim()
      ? body.trim().split('\n')[0].slice(0, 300)
      : `HTTP ${status}`);
  const causes = Array.isArray(s.details?.causes)
    ? (s.details.causes as unknown[]).filter(
        (c): c is StatusCause => typeof c === 'object' && c !== null,
      )
    : [];
  return new KubeApiError(status, reason, message, causes);
}
