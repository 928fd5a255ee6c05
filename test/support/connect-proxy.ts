import { createServer, type IncomingMessage } from 'node:http';
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
 * Only CONNECT: undici's ProxyAgent, which `@actions/http-client` gives fetch, tunnels
 * every request, http or https. A request in absolute form gets 405.
 */
export interface ConnectProxyOptions {
  /** `host:port` as the client asks for it -> port on 127.0.0.1. */
  routes: Record<string, number>;
  credentials?: { user: string; password: string };
}

export interface TunnelRecord {
  /** The CONNECT target, e.g. `ghes.example.test:443`. */
  target: string;
  /** 200 tunnel opened, 407 credentials missing or wrong, 502 unknown target. */
  status: number;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, without credentials. */
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

  const server = createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('this proxy only tunnels (CONNECT)\n');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = req.url ?? '';
    const refuse = (status: number, reason: string, extra = '') => {
      tunnels.push({ target, status });
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
      tunnels.push({ target, status: 200 });
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
    url: `http://127.0.0.1:${port}`,
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
