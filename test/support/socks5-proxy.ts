import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A small SOCKS5 proxy (RFC 1928, with RFC 1929 user/password when `credentials` is
 * given) on 127.0.0.1, for `proxy-url: socks5://...`. Like the CONNECT proxy beside it, it
 * never connects anywhere but 127.0.0.1: a target (`host:port` as the client sent it, a
 * name or an address) must be listed in `routes`, which maps it to a local port; any other
 * target is refused with reply 2 (not allowed by ruleset).
 */
export interface Socks5ProxyOptions {
  routes: Record<string, number>;
  credentials?: { user: string; password: string };
}

export interface Socks5Record {
  /** The requested target: `name:port` for a domain name, `a.b.c.d:port` for an address. */
  target: string;
  /** `granted`, `refused` (unknown target) or `bad-credentials`. */
  outcome: 'granted' | 'refused' | 'bad-credentials';
}

export interface Socks5Proxy {
  /** `socks5://127.0.0.1:PORT`, without credentials. */
  url: string;
  port: number;
  connections: Socks5Record[];
  close(): Promise<void>;
}

export async function startSocks5Proxy(options: Socks5ProxyOptions): Promise<Socks5Proxy> {
  const connections: Socks5Record[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'auth' | 'request' | 'open' = 'greeting';
    let target = '';
    const take = (n: number): Buffer | undefined => {
      if (buffer.length < n) return undefined;
      const out = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      return out;
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (stage === 'greeting') {
          if (buffer.length < 2 || buffer.length < 2 + buffer[1]) return;
          const methods = [...take(2 + buffer[1])!.subarray(2)];
          const wanted = options.credentials ? 2 : 0;
          if (!methods.includes(wanted)) {
            client.end(Buffer.from([5, 0xff]));
            return;
          }
          client.write(Buffer.from([5, wanted]));
          stage = wanted === 2 ? 'auth' : 'request';
        } else if (stage === 'auth') {
          if (buffer.length < 2) return;
          const ulen = buffer[1];
          if (buffer.length < 3 + ulen || buffer.length < 3 + ulen + buffer[2 + ulen]) return;
          const msg = take(3 + ulen + buffer[2 + ulen])!;
          const user = msg.subarray(2, 2 + ulen).toString();
          const password = msg.subarray(3 + ulen).toString();
          const ok =
            user === options.credentials!.user && password === options.credentials!.password;
          if (!ok) {
            connections.push({ target: '', outcome: 'bad-credentials' });
            client.end(Buffer.from([1, 1]));
            return;
          }
          client.write(Buffer.from([1, 0]));
          stage = 'request';
        } else if (stage === 'request') {
          if (buffer.length < 5) return;
          const type = buffer[3];
          const addressLength = type === 1 ? 4 : type === 4 ? 16 : type === 3 ? 1 + buffer[4] : -1;
          if (addressLength < 0) {
            client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
            return;
          }
          if (buffer.length < 4 + addressLength + 2) return;
          const msg = take(4 + addressLength + 2)!;
          const address = msg.subarray(4, 4 + addressLength);
          const port = msg.readUInt16BE(4 + addressLength);
          const host =
            type === 1
              ? [...address].join('.')
              : type === 3
                ? address.subarray(1).toString()
                : `[${[...Array(8).keys()].map((i) => address.readUInt16BE(i * 2).toString(16)).join(':')}]`;
          target = `${host}:${port}`;
          const local = options.routes[target];
          if (local === undefined) {
            connections.push({ target, outcome: 'refused' });
            client.end(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]));
            return;
          }
          stage = 'open';
          client.off('data', onData);
          client.pause();
          const upstream = connect(local, '127.0.0.1', () => {
            connections.push({ target, outcome: 'granted' });
            client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, local >> 8, local & 0xff]));
            if (buffer.length > 0) upstream.write(buffer);
            upstream.pipe(client);
            client.pipe(upstream);
            client.resume();
          });
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          return;
        } else return;
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `socks5://127.0.0.1:${port}`,
    port,
    connections,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const s of sockets) s.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
