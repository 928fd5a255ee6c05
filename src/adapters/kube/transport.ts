/**
 * Sends HTTP requests to one API server. HTTP/2 when the server offers it (kube-apiserver
 * does, and kubectl uses it): every request of a check shares one TLS connection, which
 * took half the client CPU of a pool of HTTP/1.1 connections for the same LISTs (and the
 * server's handshakes with them). HTTP/1.1 with a keep-alive pool otherwise: a server or
 * gateway without HTTP/2, a plain `http://` server, or a proxy from the kubeconfig.
 */
import http, { type Agent } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import tls, { createSecureContext, type SecureContext } from 'node:tls';
import type { ClusterAccess } from './cluster-access';

export interface TransportRequest {
  method: 'GET' | 'PATCH';
  /** Path with query string. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A failure to get an answer: `code` is a Node error code, or `Timeout`. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Which protocol the last request used (`h2`, `http/1.1`), for benchmarks. */
  readonly protocol: string;
  close(): void;
}

/** A transport for `access`; `connections` bounds the HTTP/1.1 pool. */
export function openTransport(access: ClusterAccess, connections: number): Transport {
  const url = new URL(access.server);
  if (access.agent) return new Http1Transport(url, access, access.agent);
  if (url.protocol === 'http:')
    return new Http1Transport(
      url,
      access,
      new http.Agent({ keepAlive: true, maxSockets: connections }),
    );
  return new NegotiatingTransport(url, access, connections);
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; name?: string };
  return err.code ?? err.name ?? 'Error';
}

/** The TLS context is built once per cluster, not once per connection. */
function secureContextOf(access: ClusterAccess): SecureContext {
  const { ca, cert, key } = access.tls;
  return createSecureContext({
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  });
}

/**
 * Connects with ALPN offering `h2` and `http/1.1` and keeps whichever the server picks: one
 * HTTP/2 session (re-opened if the server closes it), or an HTTP/1.1 pool.
 */
class NegotiatingTransport implements Transport {
  private readonly secureContext: SecureContext;
  /** The HTTP/2 session; resolves to undefined when the server chose HTTP/1.1. */
  private session: Promise<http2.ClientHttp2Session | undefined> | undefined;
  private fallback?: Http1Transport;
  protocol = 'h2';

  constructor(
    private readonly url: URL,
    private readonly access: ClusterAccess,
    private readonly connections: number,
  ) {
    this.secureContext = secureContextOf(access);
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    if (!this.fallback) {
      const pending = (this.session ??= this.connect(request.timeoutMs));
      let session: http2.ClientHttp2Session | undefined;
      try {
        session = await pending;
      } catch (e) {
        if (this.session === pending) this.session = undefined;
        throw e;
      }
      if (session) return this.stream(session, request);
    }
    return this.fallback!.send(request);
  }

  /**
   * The TLS handshake, then HTTP/2 on that socket if the server chose it. Bounded by the
   * request timeout: an address that drops packets, or a server that accepts connections
   * and never finishes the handshake, fails the region instead of hanging the check.
   */
  private connect(timeoutMs: number): Promise<http2.ClientHttp2Session | undefined> {
    const { tls: t } = this.access;
    const servername = t.servername ?? (isName(this.url.hostname) ? this.url.hostname : undefined);
    return new Promise((done, fail) => {
      const socket = tls.connect({
        host: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(this.url.port || 443),
        secureContext: this.secureContext,
        rejectUnauthorized: t.rejectUnauthorized,
        ALPNProtocols: ['h2', 'http/1.1'],
        ...(servername ? { servername } : {}),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        fail(
          new TransportError(
            'Timeout',
            `cannot reach ${this.url.origin}: no TLS connection within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      socket.once('error', (e: Error) => {
        clearTimeout(timer);
        fail(new TransportError(errorCode(e), connectMessage(this.url, e)));
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        if (socket.alpnProtocol !== 'h2') {
          // No HTTP/2 here: an HTTP/1.1 pool with the same TLS settings from now on.
          socket.destroy();
          this.protocol = 'http/1.1';
          this.fallback = new Http1Transport(
            this.url,
            this.access,
            new https.Agent({
              keepAlive: true,
              maxSockets: this.connections,
              secureContext: this.secureContext,
              rejectUnauthorized: t.rejectUnauthorized,
              ...(servername ? { servername } : {}),
            }),
          );
          done(undefined);
          return;
        }
        const session = http2.connect(this.url.origin, {
          createConnection: () => socket,
          // Large LIST answers flow without waiting for window updates.
          settings: { initialWindowSize: 16 * 1024 * 1024 },
        });
        const pending = this.session;
        const forget = () => {
          if (this.session === pending) this.session = undefined;
        };
        session.on('connect', () => session.setLocalWindowSize(64 * 1024 * 1024));
        // Requests see their own errors; a closed session is replaced on the next request.
        session.on('error', forget);
        session.on('close', forget);
        session.on('goaway', forget);
        // An idle session does not keep the process alive.
        session.unref();
        done(session);
      });
    });
  }

  private stream(
    session: http2.ClientHttp2Session,
    request: TransportRequest,
  ): Promise<TransportResponse> {
    return new Promise((done, fail) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request({
          ':method': request.method,
          ':path': request.path,
          ...this.access.headers,
          ...request.headers,
        });
      } catch (e) {
        // The session closed between two requests: reconnect on the retry.
        this.session = undefined;
        fail(
          new TransportError(
            'ECONNRESET',
            `cannot reach ${this.url.origin}: ${(e as Error).message}`,
          ),
        );
        return;
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        fail(
          new TransportError(
            'Timeout',
            `no answer from ${this.url.origin} within ${request.timeoutMs / 1000} s`,
          ),
        );
      }, request.timeoutMs);
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        clearTimeout(timer);
        done({ status, headers, body: Buffer.concat(chunks) });
      });
      stream.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (session.closed || session.destroyed) this.session = undefined;
        // A stream the server reset or a session that went away is worth a retry.
        const code =
          e.code === 'ERR_HTTP2_STREAM_ERROR' ||
          e.code === 'ERR_HTTP2_GOAWAY_SESSION' ||
          e.code === 'ERR_HTTP2_STREAM_CANCEL'
            ? 'ECONNRESET'
            : errorCode(e);
        fail(new TransportError(code, `cannot reach ${this.url.origin}: ${e.message}`));
      });
      if (request.body !== undefined) stream.end(request.body);
      else stream.end();
    });
  }

  close(): void {
    void this.session?.then((s) => s?.close()).catch(() => undefined);
    this.session = undefined;
    this.fallback?.close();
  }
}

/** HTTP/1.1 over a keep-alive agent (plain, TLS, or a proxy's). */
class Http1Transport implements Transport {
  readonly protocol = 'http/1.1';
  private readonly client: typeof http | typeof https;

  constructor(
    private readonly url: URL,
    private readonly access: ClusterAccess,
    private readonly agent: Agent,
  ) {
    this.client = url.protocol === 'http:' ? http : https;
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    return new Promise((done, fail) => {
      const req = this.client.request(
        {
          agent: this.agent,
          protocol: this.url.protocol,
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || (this.url.protocol === 'http:' ? 80 : 443),
          method: request.method,
          path: request.path,
          headers: { ...this.access.headers, ...request.headers },
          signal: AbortSignal.timeout(request.timeoutMs),
          // Only used when the agent makes a TLS connection of its own (a proxy's agent).
          ...(this.url.protocol === 'https:'
            ? {
                rejectUnauthorized: this.access.tls.rejectUnauthorized,
                ...(this.access.tls.ca !== undefined ? { ca: this.access.tls.ca } : {}),
                ...(this.access.tls.cert !== undefined ? { cert: this.access.tls.cert } : {}),
                ...(this.access.tls.key !== undefined ? { key: this.access.tls.key } : {}),
                ...(this.access.tls.servername ? { servername: this.access.tls.servername } : {}),
              }
            : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', (e) =>
            fail(new TransportError(errorCode(e), `cannot reach ${this.url.origin}: ${e.message}`)),
          );
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        const timedOut = e.name === 'AbortError';
        fail(
          new TransportError(
            timedOut ? 'Timeout' : errorCode(e),
            timedOut
              ? `no answer from ${this.url.origin} within ${request.timeoutMs / 1000} s`
              : connectMessage(this.url, e),
          ),
        );
      });
      if (request.body !== undefined) req.end(request.body);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function connectMessage(url: URL, e: Error): string {
  return `cannot reach ${url.origin}: ${e.message}`;
}

/** SNI carries host names only, never IP addresses. */
function isName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.startsWith('[');
}
