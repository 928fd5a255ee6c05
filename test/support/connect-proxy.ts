import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A small HTTP proxy on 127.0.0.1 that tunnels CONNECT requests, as corporate proxies
 * (Squid and the like) do for HTTPS. It never connects anywhere but 127.0.0.1: each
 * tunnel target (`host:port`, as the client asked for it) must be listed in `routes`,
 * which maps it to a local port; any other target gets 502. So a client can reach a test
 * server under a name that does not resolve (`ghes.example.test:443`) only through this
 * proxy. With `credentials`, a tunnel needs a matching `Proxy-Authorization: Basic` header
 * (else 407, with `Proxy-Authenticate`).
 *
 * By default only CONNECT: undici's ProxyAgent, which `@actions/http-client` gives fetch,
 * tunnels every request, http or https, and a request in absolute form gets 405. With
 * `forward`, a request in absolute form (`GET http://host:port/path`, what Go sends an HTTP
 * proxy for a plain `http://` server) is forwarded to its route, as Squid does. With
 * `tls`, clients talk TLS to the proxy itself (an `https://` proxy URL).
 */
export interface ConnectProxyOptions {
  /** `host:port` as the client asks for it -> port on 127.0.0.1. */
  routes: Record<string, number>;
  credentials?: { user: string; password: string };
  /** Forward requests in absolute form too. */
  forward?: boolean;
  /** Serve TLS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

export interface TunnelRecord {
  /** The CONNECT target, e.g. `ghes.example.test:443` (for a forwarded request, its host). */
  target: string;
  /** 200 tunnel opened (or request forwarded), 407 credentials missing or wrong, 502 unknown target. */
  status: number;
  /** `CONNECT`, or the method of a forwarded request. */
  method: string;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`), without credentials. */
  url: string;
  port: number;
  tunnels: TunnelRecord[];
  close(): Promise<void>;
}

export async function startConnectProxy(options: ConnectProxyOptions): Promise<ConnectProxy> {
  const tunnels: TunnelRecord[] = [];
  const sockets = new Set<Socket>();
  const expected = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`
    : undefined;

  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    if (!options.forward || !/^http:\/\//.test(req.url ?? '')) {
      res
        .writeHead(405, { 'content-type': 'text/plain' })
        .end('this proxy only tunnels (CONNECT)\n');
      return;
    }
    const url = new URL(req.url!);
    const target = url.host;
    if (expected && req.headers['proxy-authorization'] !== expected) {
      tunnels.push({ target, status: 407, method: req.method ?? '' });
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': 0 }).end();
      return;
    }
    const port = options.routes[target];
    if (port === undefined) {
      tunnels.push({ target, status: 502, method: req.method ?? '' });
      res.writeHead(502, { 'content-length': 0 }).end();
      return;
    }
    tunnels.push({ target, status: 200, method: req.method ?? '' });
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: url.pathname + url.search, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server: Server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createServer(handler);
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const refuse = (status: number, reason: string, extra = '') => {
      tunnels.push({ target, status, method: 'CONNECT' });
      client.end(`HTTP/1.1 ${status} ${reason}\r\n${extra}Content-Length: 0\r\n\r\n`);
    };
    if (expected && req.headers['proxy-authorization'] !== expected) {
      return refuse(
        407,
        'Proxy Authentication Required',
        'Proxy-Authenticate: Basic realm="test"\r\n',
      );
    }
    const port = options.routes[target];
    if (port === undefined) return refuse(502, 'Bad Gateway');
    const upstream = connect(port, '127.0.0.1', () => {
      tunnels.push({ target, status: 200, method: 'CONNECT' });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    tunnels,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
