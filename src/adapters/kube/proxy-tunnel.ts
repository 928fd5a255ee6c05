/**
 * Opens a byte stream to an API server through a proxy, as Go's net/http does for
 * kubectl: an HTTP `CONNECT` tunnel through an `http://` proxy or an `https://` one (TLS to
 * the proxy first), or a SOCKS5 `CONNECT` (RFC 1928, with RFC 1929 user/password when the
 * proxy URL carries them). The server's host name goes to the proxy as it is, so the proxy
 * resolves it. The TLS session with the API server (and with it HTTP/2) is then set up
 * inside the stream, end to end: the proxy sees neither the requests nor the credentials
 * sent to the server.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ClusterProxy } from './proxy-rules';

/** Why the proxy gave no stream; `code` says which (see the values). */
export class ProxyTunnelError extends Error {
  constructor(
    /**
     * `ProxyUnreachable` (no connection to the proxy), `ProxyAuthentication` (407 or SOCKS
     * credentials refused), `ProxyRefused` (any other refusal), `ProxyTimeout`.
     */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProxyTunnelError';
  }
}

/** Largest CONNECT answer head read before giving up on a proxy (Go reads at most 1 MB). */
const MAX_CONNECT_HEAD = 64 * 1024;

/**
 * A stream to `host:port` through `proxy`, within `timeoutMs`. `proxyTls` is how to trust
 * an `https://` proxy: Go verifies it with the cluster's TLS settings (its CA, or the
 * system's when the kubeconfig names none; `insecure-skip-tls-verify` applies too).
 */
export function openProxyTunnel(
  proxy: ClusterProxy,
  host: string,
  port: number,
  timeoutMs: number,
  proxyTls: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>,
): Promise<Socket> {
  return new Promise((done, fail) => {
    let settled = false;
    const finish = (err: ProxyTunnelError | undefined, socket?: Socket) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        raw.destroy();
        fail(err);
      } else done(socket!);
    };
    const raw: Socket =
      proxy.scheme === 'https'
        ? tlsConnect({
            host: proxy.host,
            port: proxy.port,
            ...(isIP(proxy.host) ? {} : { servername: proxy.host }),
            ...proxyTls,
          })
        : netConnect(proxy.port, proxy.host);
    const timer = setTimeout(
      () =>
        finish(
          new ProxyTunnelError(
            'ProxyTimeout',
            `the proxy opened no connection to ${hostPort(host, port)} within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
    raw.once('error', (e: NodeJS.ErrnoException) =>
      finish(
        new ProxyTunnelError(
          'ProxyUnreachable',
          `cannot connect to the proxy (${e.code ?? e.message})`,
        ),
      ),
    );
    raw.once(proxy.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      const handshake =
        proxy.scheme === 'socks5'
          ? socks5Connect(raw, proxy, host, port)
          : httpConnect(raw, proxy, host, port);
      handshake.then(
        () => finish(undefined, raw),
        (e: ProxyTunnelError) => finish(e),
      );
    });
  });
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Reads from `socket` until `enough` says what was read suffices; the rest is put back. */
function readUntil(
  socket: Socket,
  enough: (data: Buffer) => number | undefined,
  limit: number,
): Promise<Buffer> {
  return new Promise((done, fail) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const used = enough(data);
      if (used !== undefined) {
        cleanup();
        if (used < data.length) socket.unshift(data.subarray(used));
        done(data.subarray(0, used));
      } else if (data.length > limit) {
        cleanup();
        fail(new ProxyTunnelError('ProxyRefused', 'the proxy sent an answer too long to read'));
      }
    };
    const onEnd = () => {
      cleanup();
      fail(
        new ProxyTunnelError('ProxyRefused', 'the proxy closed the connection without an answer'),
      );
    };
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup();
      fail(
        new ProxyTunnelError(
          'ProxyUnreachable',
          `the connection to the proxy failed (${e.code ?? e.message})`,
        ),
      );
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

async function httpConnect(
  socket: Socket,
  proxy: ClusterProxy,
  host: string,
  port: number,
): Promise<void> {
  const target = hostPort(host, port);
  const auth = proxy.credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.credentials.user}:${proxy.credentials.password}`).toString('base64')}\r\n`
    : '';
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  const head = await readUntil(
    socket,
    (data) => {
      const end = data.indexOf('\r\n\r\n');
      return end < 0 ? undefined : end + 4;
    },
    MAX_CONNECT_HEAD,
  );
  const statusLine = head.toString('latin1').split('\r\n')[0];
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m)
    throw new ProxyTunnelError(
      'ProxyRefused',
      'the proxy did not answer the CONNECT request in HTTP',
    );
  const status = Number(m[1]);
  if (status === 200) return;
  // The reason phrase is the proxy's own words, short; the body is not read.
  const answer = `${status}${m[2] ? ` ${m[2].slice(0, 100)}` : ''}`;
  if (status === 407)
    throw new ProxyTunnelError(
      'ProxyAuthentication',
      `the proxy asks for credentials (${answer})${proxy.credentials ? ' and refused the ones given' : ''}`,
    );
  throw new ProxyTunnelError(
    'ProxyRefused',
    `the proxy refused the tunnel to ${target} (${answer})`,
  );
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

async function socks5Connect(
  socket: Socket,
  proxy: ClusterProxy,
  host: string,
  port: number,
): Promise<void> {
  const exactly = (n: number) => (data: Buffer) => (data.length >= n ? n : undefined);
  // Greeting: no authentication, and user/password when the URL has credentials (as Go offers).
  socket.write(Buffer.from(proxy.credentials ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await readUntil(socket, exactly(2), 2);
  if (version !== 5)
    throw new ProxyTunnelError('ProxyRefused', 'the proxy does not speak SOCKS version 5');
  if (method === 2 && proxy.credentials) {
    const user = Buffer.from(proxy.credentials.user);
    const password = Buffer.from(proxy.credentials.password);
    if (user.length > 255 || password.length > 255)
      throw new ProxyTunnelError(
        'ProxyAuthentication',
        'the SOCKS user or password is longer than 255 bytes',
      );
    socket.write(
      Buffer.concat([
        Buffer.from([1, user.length]),
        user,
        Buffer.from([password.length]),
        password,
      ]),
    );
    const [, status] = await readUntil(socket, exactly(2), 2);
    if (status !== 0)
      throw new ProxyTunnelError(
        'ProxyAuthentication',
        'the SOCKS proxy refused the user and password',
      );
  } else if (method !== 0) {
    throw new ProxyTunnelError(
      'ProxyAuthentication',
      method === 0xff
        ? `the SOCKS proxy accepts none of the offered methods (${proxy.credentials ? 'none, user/password' : 'none; it may want a user and password'})`
        : `the SOCKS proxy chose an authentication method mr-drift does not offer (${method})`,
    );
  }
  socket.write(
    Buffer.concat([
      Buffer.from([5, 1, 0]),
      socksAddress(host),
      Buffer.from([port >> 8, port & 0xff]),
    ]),
  );
  // Reply: VER REP RSV ATYP BND.ADDR BND.PORT; its length depends on the address type.
  const reply = await readUntil(
    socket,
    (data) => {
      if (data.length < 5) return undefined;
      const length = data[3] === 1 ? 4 : data[3] === 4 ? 16 : data[3] === 3 ? 1 + data[4] : 0;
      const total = 4 + length + 2;
      return data.length >= total ? total : undefined;
    },
    262,
  );
  if (reply[1] !== 0)
    throw new ProxyTunnelError(
      'ProxyRefused',
      `the SOCKS proxy could not connect to ${hostPort(host, port)}: ${SOCKS_REPLIES[reply[1]] ?? `reply ${reply[1]}`}`,
    );
}

/** DST.ADDR: an IPv4 or IPv6 address as such, any other host as a name for the proxy to resolve. */
function socksAddress(host: string): Buffer {
  const family = isIP(host);
  if (family === 4) return Buffer.from([1, ...host.split('.').map(Number)]);
  if (family === 6) {
    const groups = expandIpv6(host);
    return Buffer.from([4, ...groups.flatMap((g) => [g >> 8, g & 0xff])]);
  }
  const name = Buffer.from(host);
  return Buffer.concat([Buffer.from([3, name.length]), name]);
}

function expandIpv6(host: string): number[] {
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const parse = (part: string | undefined) => {
    if (!part) return [];
    return part.split(':').flatMap((p) => {
      if (!p.includes('.')) return [parseInt(p, 16)];
      const [a, b, c, d] = p.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const h = parse(head);
  const t = parse(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}
