import { Logger } from '@nestjs/common';
import { AppConfig, AuthConfig } from '../config/configuration';
import { StartupError } from '../common/startup-error';
import { CodeNotSentError } from './user.errors';

/** What a shopper must receive to log in. */
export interface LoginCodeMessage {
  phone: string;
  code: string;
  expiresAt: Date;
}

/**
 * Delivers a login code to the shopper's phone. send() resolves once the code is on
 * its way and rejects with CodeNotSentError when it is not; the code is stored only
 * after that, so a code that was not sent can never be used.
 */
export interface LoginCodeSender {
  send(message: LoginCodeMessage): Promise<void>;
}

export const LOGIN_CODE_SENDER = Symbol('LOGIN_CODE_SENDER');

/** Outside production without a webhook: nothing to send, the code goes back in the response. */
export class InResponseCodeSender implements LoginCodeSender {
  send(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * POSTs `{"phone", "code", "expiresAt"}` as JSON to SMS_WEBHOOK_URL (an operator's
 * bridge to any SMS provider), with SMS_WEBHOOK_TOKEN as a bearer token when set.
 * Anything but a 2xx within the deadline is a failure. Logs never carry the code.
 */
export class WebhookCodeSender implements LoginCodeSender {
  private readonly logger = new Logger(WebhookCodeSender.name);

  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  async send({ phone, code, expiresAt }: LoginCodeMessage): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let failure: unknown;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ phone, code, expiresAt: expiresAt.toISOString() }),
        redirect: 'error',
        // One deadline for the answer and its body.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
      if (response.ok) return;
      failure = new Error(`SMS webhook answered ${response.status}`);
    } catch (error) {
      failure = error;
    }
    this.logger.warn({ err: failure }, 'login code not sent: the SMS webhook failed');
    throw new CodeNotSentError(failure);
  }
}

/** The webhook when SMS_WEBHOOK_URL is set; production refuses to start without it. */
export function createLoginCodeSender(app: AppConfig, auth: AuthConfig): LoginCodeSender {
  if (auth.smsWebhookUrl) {
    return new WebhookCodeSender(
      auth.smsWebhookUrl,
      auth.smsWebhookToken,
      auth.smsWebhookTimeoutMs,
    );
  }
  if (app.isProduction) {
    // Env validation says so at boot already; this guards an app built another way.
    throw new StartupError(
      'SMS_WEBHOOK_URL is required in production: login codes are POSTed to it',
    );
  }
  return new InResponseCodeSender();
}
