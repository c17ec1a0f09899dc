import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedSms {
  headers: IncomingHttpHeaders;
  body: { phone: string; code: string; expiresAt: string };
}

/** How the webhook answers: 204, a status of its own, or never (to time the sender out). */
export type WebhookBehaviour =
  { answer: 'ok' } | { answer: 'status'; status: number } | { answer: 'hang' };

/**
 * A stand-in for an operator's SMS bridge: a node:http server on 127.0.0.1 that records
 * every POST it gets. close() ends it and any request left hanging.
 */
export class SmsWebhook {
  readonly received: ReceivedSms[] = [];
  behaviour: WebhookBehaviour = { answer: 'ok' };
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<SmsWebhook> {
    const webhook: SmsWebhook = new SmsWebhook(
      createServer((request, response) => {
        let raw = '';
        request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        request.on('end', () => {
          webhook.received.push({
            headers: request.headers,
            body: JSON.parse(raw) as ReceivedSms['body'],
          });
          webhook.answer(response);
        });
      }),
    );
    await new Promise<void>((resolve) => webhook.server.listen(0, '127.0.0.1', resolve));
    return webhook;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/sms`;
  }

  /** The code last sent to `phone`. */
  codeFor(phone: string): string | undefined {
    return this.received.filter((sms) => sms.body.phone === phone).at(-1)?.body.code;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(response: ServerResponse): void {
    const behaviour = this.behaviour;
    if (behaviour.answer === 'hang') {
      this.hanging.add(response);
      return;
    }
    response.statusCode = behaviour.answer === 'ok' ? 204 : behaviour.status;
    response.end();
  }
}
