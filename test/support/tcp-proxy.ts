import { connect, createServer, Server, Socket } from 'node:net';
import { freePort } from './free-port';

type Mode = 'forward' | 'blackhole';

/**
 * A TCP proxy between the app and a shared server (MySQL), so the test can make
 * that server vanish for the app alone:
 * - cut(): every open connection is destroyed and new ones are refused;
 * - blackhole(): connections stay open but nothing is forwarded either way, and
 *   new ones are accepted and never answered (a hung server);
 * - restore(): back to forwarding (blackholed connections are dropped first,
 *   since bytes were lost on them).
 */
export class TcpProxy {
  private server?: Server;
  private mode: Mode = 'forward';
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.listen();
    return proxy;
  }

  /** Connections currently open through the proxy (both sides counted). */
  get openSockets(): number {
    return this.sockets.size;
  }

  async cut(): Promise<void> {
    const closed = this.stopListening();
    this.destroyAll();
    await closed;
  }

  blackhole(): void {
    this.mode = 'blackhole';
  }

  async restore(): Promise<void> {
    if (this.mode === 'blackhole') this.destroyAll();
    this.mode = 'forward';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'blackhole') return; // accepted, never answered
    const upstream = connect(this.target);
    this.track(upstream);
    this.relay(client, upstream);
    this.relay(upstream, client);
  }

  private relay(from: Socket, to: Socket): void {
    from.on('data', (chunk) => {
      if (this.mode === 'forward') to.write(chunk);
    });
    from.on('close', () => to.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
