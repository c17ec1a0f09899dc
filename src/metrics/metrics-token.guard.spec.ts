import { ExecutionContext } from '@nestjs/common';
import { appConfig } from '../config/configuration';
import { validateEnv } from '../config/env.validation';
import { MetricsTokenRequiredError } from './metrics.errors';
import { MetricsTokenGuard } from './metrics-token.guard';

const METRICS_TOKEN = 'unit-metrics-token-0123456789';

function scrape(headers: Record<string, string>): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  } as unknown as ExecutionContext;
}

const guardWith = (env: Record<string, string>) =>
  new MetricsTokenGuard(appConfig.build(validateEnv(env)));

describe(MetricsTokenGuard.name, () => {
  it('lets every scrape through when METRICS_TOKEN is not set', () => {
    const sut = guardWith({});

    expect(sut.canActivate(scrape({}))).toBe(true);
  });

  it.each([`Bearer ${METRICS_TOKEN}`, `bearer ${METRICS_TOKEN}`, `BEARER  ${METRICS_TOKEN}`])(
    'accepts %p',
    (authorization) => {
      const sut = guardWith({ METRICS_TOKEN });

      expect(sut.canActivate(scrape({ authorization }))).toBe(true);
    },
  );

  it.each<[string, Record<string, string>]>([
    ['no header', {}],
    ['the token without a scheme', { authorization: METRICS_TOKEN }],
    ['another scheme', { authorization: `Basic ${METRICS_TOKEN}` }],
    ['a prefix of the token', { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }],
    ['the token and more', { authorization: `Bearer ${METRICS_TOKEN}0` }],
    ['two tokens', { authorization: `Bearer ${METRICS_TOKEN} ${METRICS_TOKEN}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with MetricsTokenRequiredError', (_case, headers) => {
    const sut = guardWith({ METRICS_TOKEN });

    expect(() => sut.canActivate(scrape(headers))).toThrow(MetricsTokenRequiredError);
  });
});
