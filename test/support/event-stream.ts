import { get, IncomingMessage } from 'node:http';
import { until } from './until';

export interface StreamEvent {
  /** `message` for an unnamed event, as EventSource names it. */
  event: string;
  data: unknown;
  /** performance.now() when the event was parsed. */
  receivedAt: number;
}

/**
 * A `text/event-stream` read over plain HTTP (node:http, no EventSource):
 * collects its events as they arrive, parsed per the SSE format.
 */
export class EventStreamClient {
  readonly events: StreamEvent[] = [];
  private buffer = '';
  private ended = false;
  /** Resolves when the server has ended the stream (or the connection closed). */
  readonly done: Promise<void>;

  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end = this.buffer.indexOf('\n\n');
      while (end >= 0) {
        this.parse(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 2);
        end = this.buffer.indexOf('\n\n');
      }
    });
    this.done = new Promise((resolve) => {
      const finish = () => {
        this.ended = true;
        resolve();
      };
      response.once('end', finish);
      response.once('close', finish);
      response.once('error', finish);
    });
  }

  /** Opens the stream; resolves once the response head is in (any status). */
  static open(url: string, headers: Record<string, string>): Promise<EventStreamClient> {
    return new Promise((resolve, reject) => {
      const request = get(url, { headers }, (response) => resolve(new EventStreamClient(response)));
      request.once('error', reject);
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The body of a response that is not a stream (an error envelope). */
  async json(): Promise<unknown> {
    await this.done;
    return JSON.parse(this.buffer) as unknown;
  }

  snapshots<T>(): T[] {
    return this.events.filter((e) => e.event === 'message').map((e) => e.data as T);
  }

  /** Waits for a snapshot that satisfies `check`; returns it. */
  async snapshotWhere<T>(what: string, check: (snapshot: T) => boolean, ms = 20_000): Promise<T> {
    let found: T | undefined;
    await until(
      what,
      () => {
        found = this.snapshots<T>().reverse().find(check);
        return Promise.resolve(found !== undefined);
      },
      ms,
    );
    return found!;
  }

  /** Disconnects, as a browser tab that closes. */
  close(): void {
    this.response.destroy();
  }

  private parse(message: string): void {
    let event = 'message';
    let data = '';
    for (const line of message.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (data) this.events.push({ event, data: JSON.parse(data), receivedAt: performance.now() });
  }
}
