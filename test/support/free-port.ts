import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on right now: bind to port 0, read the port the
 * kernel chose, close. Someone could take it before we do; callers that listen
 * on it find out at once.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
