import { AppConfig, AuthConfig } from '../config/configuration';
import { StartupError } from '../common/startup-error';
import {
  createLoginCodeSender,
  InResponseCodeSender,
  WebhookCodeSender,
} from './login-code.sender';

const app = (isProduction: boolean) => ({ isProduction }) as AppConfig;
const auth = (smsWebhookUrl?: string) =>
  ({ smsWebhookUrl, smsWebhookToken: undefined, smsWebhookTimeoutMs: 1000 }) as AuthConfig;

describe(createLoginCodeSender.name, () => {
  it.each([true, false])('posts to SMS_WEBHOOK_URL when set (production: %p)', (production) => {
    expect(createLoginCodeSender(app(production), auth('http://127.0.0.1:9/sms'))).toBeInstanceOf(
      WebhookCodeSender,
    );
  });

  it('answers the code in the response outside production without a webhook', () => {
    expect(createLoginCodeSender(app(false), auth())).toBeInstanceOf(InResponseCodeSender);
  });

  it('refuses to build production without a webhook', () => {
    expect(() => createLoginCodeSender(app(true), auth())).toThrow(StartupError);
    expect(() => createLoginCodeSender(app(true), auth())).toThrow(/SMS_WEBHOOK_URL/);
  });
});
