/**
 * Sends HTTP requests to one API server. HTTP/2 when the server offers it (kube-apiserver
 * does, and kubectl uses it): every request of a check shares one TLS connection, which
 * took half the client CPU of a pool of HTTP/1.1 connections for the same LISTs (and the
 * server's handshakes with them). HTTP/1.1 with a keep-alive pool otherwise: a server or
 * gateway without HTTP/2, or a plain `http://` server.
 *
 * Through a proxy (proxy-rules.ts decides which) the TLS session, and with it HTTP/2, runs
 * inside the proxy's tunnel (proxy-tunnel.ts), as kubectl's does. A plain `http://` server
 * behind an HTTP proxy gets its requests in absolute form (`GET http://host/path`), the
 * way Go sends them.
 */
import http, { type Agent } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { createSecureContext, type SecureContext } from 'node:tls';
import type { ClusterAccess } from './cluster-access';
import type { ClusterProxy } from './proxy-rules';
import { openProxyTunnel, ProxyTunnelError } from './proxy-tunnel';

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
  if (url.protocol === 'http:') return plainHttpTransport(url, access, connections);
  return new NegotiatingTransport(url, access, connections);
}

/** An `http://` server: directly, through a SOCKS5 tunnel, or forwarded by an HTTP proxy. */
function plainHttpTransport(url: URL, access: ClusterAccess, connections: number): Transport {
  const { proxy } = access;
  const pool = { keepAlive: true, maxSockets: connections };
  if (!proxy) return new Http1Transport(url, access, new http.Agent(pool));
  if (proxy.scheme === 'socks5')
    return new Http1Transport(url, access, new TunnelAgent(url, access, pool));
  // The proxy itself is the HTTP server the requests go to; they name the real one.
  const proxyAgent =
    proxy.scheme === 'https'
      ? new https.Agent({ ...pool, ...proxyTrust(access) })
      : new http.Agent(pool);
  return new Http1Transport(url, access, proxyAgent, proxy);
}

/** How an `https://` proxy is trusted: with the cluster's TLS settings, as Go does. */
function proxyTrust(access: ClusterAccess): { ca?: Buffer | string; rejectUnauthorized: boolean } {
  return {
    rejectUnauthorized: access.tls.rejectUnauthorized,
    ...(access.tls.ca !== undefined ? { ca: access.tls.ca } : {}),
  };
}

/** `through the proxy http://proxy:3128 (HTTPS_PROXY)`, for messages; never its credentials. */
function throughProxy(proxy: ClusterProxy): string {
  const where =
    proxy.source === 'proxy-url' ? "the cluster's proxy-url in the kubeconfig" : proxy.source;
  return `through the proxy ${proxy.shown} (${where})`;
}

/** The API server's host (IPv6 without brackets) and port. */
function hostAndPort(url: URL): { host: string; port: number } {
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
  };
}

/**
 * Opens the tunnel to the API server through `proxy`; a failure becomes a TransportError
 * that names the server and the proxy.
 */
async function tunnelTo(
  url: URL,
  access: ClusterAccess,
  proxy: ClusterProxy,
  timeoutMs: number,
): Promise<Socket> {
  const { host, port } = hostAndPort(url);
  try {
    return await openProxyTunnel(proxy, host, port, timeoutMs, proxyTrust(access));
  } catch (e) {
    if (!(e instanceof ProxyTunnelError)) throw e;
    throw new TransportError(
      e.code,
      `cannot reach ${url.origin} ${throughProxy(proxy)}: ${e.message}`,
    );
  }
}

/**
 * An HTTP/1.1 agent whose connections are tunnels through the cluster's proxy (TLS inside
 * them for an `https://` server): the fallback when a proxied server does not speak HTTP/2,
 * and a plain `http://` server behind a SOCKS5 proxy.
 */
class TunnelAgent extends https.Agent {
  constructor(
    private readonly url: URL,
    private readonly access: ClusterAccess,
    options: https.AgentOptions,
  ) {
    super(options);
    // http.request checks that the agent speaks the request's protocol.
    if (url.protocol === 'http:') (this as unknown as { protocol: string }).protocol = 'http:';
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const timeoutMs = this.options.timeout ?? 30_000;
    tunnelTo(this.url, this.access, this.access.proxy!, timeoutMs).then(
      (socket) => {
        if (this.url.protocol === 'http:') return callback?.(null, socket);
        // Node's agent passes the TLS options (secure context, servername ...) through.
        callback?.(null, tls.connect({ ...(options as tls.ConnectionOptions), socket }));
      },
      (e: Error) => callback?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
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
  private async connect(timeoutMs: number): Promise<http2.ClientHttp2Session | undefined> {
    const { tls: t, proxy } = this.access;
    const servername = t.servername ?? (isName(this.url.hostname) ? this.url.hostname : undefined);
    const started = Date.now();
    const tunnel = proxy ? await tunnelTo(this.url, this.access, proxy, timeoutMs) : undefined;
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    const via = proxy ? ` ${throughProxy(proxy)}` : '';
    return new Promise((done, fail) => {
      const socket = tls.connect({
        ...(tunnel ? { socket: tunnel } : hostAndPort(this.url)),
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
            `cannot reach ${this.url.origin}${via}: no TLS connection within ${timeoutMs / 1000} s`,
          ),
        );
      }, remaining);
      socket.once('error', (e: Error) => {
        clearTimeout(timer);
        fail(
          new TransportError(errorCode(e), `cannot reach ${this.url.origin}${via}: ${e.message}`),
        );
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        if (socket.alpnProtocol !== 'h2') {
          // No HTTP/2 here: an HTTP/1.1 pool with the same TLS settings from now on.
          socket.destroy();
          this.protocol = 'http/1.1';
          const options = {
            keepAlive: true,
            maxSockets: this.connections,
            secureContext: this.secureContext,
            rejectUnauthorized: t.rejectUnauthorized,
            timeout: timeoutMs,
            ...(servername ? { servername } : {}),
          };
          this.fallback = new Http1Transport(
            this.url,
            this.access,
            proxy ? new TunnelAgent(this.url, this.access, options) : new https.Agent(options),
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

/**
 * HTTP/1.1 over a keep-alive agent: plain, TLS, a tunnel, or, with `forwardVia`, requests in
 * absolute form to an HTTP proxy for a plain `http://` server.
 */
class Http1Transport implements Transport {
  readonly protocol = 'http/1.1';
  private readonly client: typeof http | typeof https;

  constructor(
    private readonly url: URL,
    private readonly access: ClusterAccess,
    private readonly agent: Agent,
    private readonly forwardVia?: ClusterProxy,
  ) {
    const scheme = forwardVia ? forwardVia.scheme : url.protocol.slice(0, -1);
    this.client = scheme === 'https' ? https : http;
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    const proxy = this.forwardVia;
    const { host, port } = hostAndPort(this.url);
    const via = this.access.proxy ? ` ${throughProxy(this.access.proxy)}` : '';
    return new Promise((done, fail) => {
      const req = this.client.request(
        {
          agent: this.agent,
          ...(proxy
            ? {
                protocol: `${proxy.scheme}:`,
                hostname: proxy.host,
                port: proxy.port,
                path: `${this.url.origin}${request.path}`,
                ...(isName(proxy.host) && proxy.scheme === 'https'
                  ? { servername: proxy.host }
                  : {}),
              }
            : { protocol: this.url.protocol, hostname: host, port, path: request.path }),
          method: request.method,
          headers: {
            ...this.access.headers,
            ...request.headers,
            ...(proxy ? { host: this.url.host } : {}),
            ...(proxy?.credentials
              ? {
                  'proxy-authorization': `Basic ${Buffer.from(`${proxy.credentials.user}:${proxy.credentials.password}`).toString('base64')}`,
                }
              : {}),
          },
          signal: AbortSignal.timeout(request.timeoutMs),
        },
        (res) => {
          if (proxy && res.statusCode === 407) {
            res.resume();
            fail(
              new TransportError(
                'ProxyAuthentication',
                `cannot reach ${this.url.origin}${via}: the proxy asks for credentials (407 ${res.statusMessage ?? ''})${proxy.credentials ? ' and refused the ones given' : ''}`,
              ),
            );
            return;
          }
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
        // A tunnel that failed already says which server and proxy.
        if (e instanceof TransportError) return fail(e);
        const timedOut = e.name === 'AbortError';
        fail(
          new TransportError(
            timedOut ? 'Timeout' : proxy ? proxyCode(e) : errorCode(e),
            timedOut
              ? `no answer from ${this.url.origin}${via} within ${request.timeoutMs / 1000} s`
              : `cannot reach ${this.url.origin}${via}: ${e.message}`,
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

/** A forwarding proxy that cannot be reached fails as a tunnel would. */
function proxyCode(e: NodeJS.ErrnoException): string {
  return e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ECONNRESET'
    ? 'ProxyUnreachable'
    : errorCode(e);
}

/** SNI carries host names only, never IP addresses. */
function isName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.startsWith('[');
}
