import { createServer } from 'node:net';

/**
 * Asks the kernel for a free 127.0.0.1 port. Another process may take it before our
 * server binds it; the caller retries a start that fails for that reason.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('could not read the port of a test socket'));
      });
    });
  });
}
