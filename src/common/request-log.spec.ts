import { requestLogLevel } from './request-log';

describe(requestLogLevel.name, () => {
  it.each([
    [409, 'debug'], // a flash crowd's expected refusals: sold out, already purchased, ...
    [200, 'debug'],
    [201, 'debug'],
    [202, 'debug'],
    [302, 'debug'],
  ])('logs a %i at debug', (status, level) => {
    expect(requestLogLevel(status)).toBe(level);
  });

  it.each([400, 401, 403, 404, 408, 413, 415, 429, 431])(
    'logs an unexpected client error %i at info',
    (status) => {
      expect(requestLogLevel(status)).toBe('info');
    },
  );

  it.each([500, 503, 504])('logs a %i at error', (status) => {
    expect(requestLogLevel(status)).toBe('error');
  });
});
