/**
 * A small HTTP client for one cluster: raw requests, so objects stay exactly as the server
 * sent them (typed client models drop unknown fields and turn timestamps into Dates).
 * Credentials come from the kubeconfig (kubeconfig.ts, cluster-access.ts); requests go
 * over one HTTP/2 connection where the server offers it (transport.ts).
 *
 * Adds what a bare HTTP client lacks: bounded concurrency, retries on 429/503 honouring
 * Retry-After, and a timeout on every request.
 */
import { resolveAccess } from './cluster-access';
import type { Kubeconfig } from './kubeconfig';
import { Limiter } from './limiter';
import { openTransport, TransportError, type Transport } from './transport';

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
  context: string;
  /** Requests in flight at once; default 16. */
  concurrency?: number;
  /** Per-request timeout in ms; default 30 s. */
  timeoutMs?: number;
  /** Retries of a throttled (429) or unavailable (503) request; default 6. */
  maxRetries?: number;
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
    private readonly transport: Transport,
    private readonly opts: Required<Pick<KubeClientOptions, 'timeoutMs' | 'maxRetries'>>,
    concurrency: number,
  ) {
    this.limiter = new Limiter(concurrency);
  }

  /** Resolves the context and its credentials; a bad context -> ContextProblem. */
  static async connect(kc: Kubeconfig, options: KubeClientOptions): Promise<KubeClient> {
    const access = await resolveAccess(kc, options.context);
    const concurrency = options.concurrency ?? 16;
    return new KubeClient(
      access.server,
      access.namespace,
      access.user,
      openTransport(access, concurrency),
      { timeoutMs: options.timeoutMs ?? 30_000, maxRetries: options.maxRetries ?? 6 },
      concurrency,
    );
  }

  /** HTTP protocol in use (`h2` or `http/1.1`). */
  get protocol(): string {
    return this.transport.protocol;
  }

  /** Closes the connections; requests after this reconnect. */
  close(): void {
    this.transport.close();
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
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) query.set(k, v);
    const target = query.size > 0 ? `${path}?${query.toString()}` : path;
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    return this.limiter.run(async () => {
      for (let attempt = 0; ; attempt++) {
        let res;
        try {
          res = await this.transport.send({
            method,
            path: target,
            headers: {
              accept: init.accept ?? 'application/json',
              ...(init.contentType ? { 'content-type': init.contentType } : {}),
            },
            ...(init.body !== undefined ? { body: init.body } : {}),
            timeoutMs: this.opts.timeoutMs,
          });
        } catch (e) {
          const code = e instanceof TransportError ? e.code : ((e as Error).name ?? 'Error');
          // A reset connection is worth one more try; refused/unknown host/timeouts are not.
          if (code === 'ECONNRESET' && attempt < 2) {
            await sleep(200 * (attempt + 1));
            continue;
          }
          throw new KubeApiError(0, code, (e as Error).message);
        }
        const { status, headers } = res;
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
        const text = res.body.toString('utf8');
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
