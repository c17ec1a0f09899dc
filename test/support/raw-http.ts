import { connect, Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection driven by hand, for what an HTTP client library
 * hides: keep-alive sockets left idle, pipelined or half-sent requests, and
 * when the server closes the connection.
 */
export class RawHttpConnection {
  private buffer = Buffer.alloc(0);
  private readonly responses: RawResponse[] = [];
  private waiter?: () => void;
  private closedAt?: number;
  /** Resolves when the connection has closed, with performance.now() at that moment. */
  readonly closed: Promise<number>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = performance.now();
        this.waiter?.();
        resolve(this.closedAt);
      }),
    );
  }

  static open(port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawHttpConnection(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Writes raw bytes (part of a request, or several requests). */
  write(text: string): void {
    this.socket.write(text);
  }

  /** Writes one complete keep-alive request. */
  send(method: string, path: string, headers: Record<string, string> = {}, body = ''): void {
    this.write(requestText(method, path, headers, body));
  }

  /** The next response on this connection; rejects when the connection closes first or after `timeoutMs`. */
  async nextResponse(timeoutMs = 5000): Promise<RawResponse> {
    const deadline = performance.now() + timeoutMs;
    while (this.responses.length === 0) {
      if (this.isClosed) throw new Error('the server closed the connection without a response');
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.responses.shift()!;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine, ...lines] = this.buffer.subarray(0, headEnd).toString().split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < headEnd + 4 + length) return;
      const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString();
      this.buffer = this.buffer.subarray(headEnd + 4 + length);
      this.responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
      this.waiter?.();
    }
  }
}

export function requestText(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
