import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../config/configuration';
import { AUDIENCE, Audience, AuthenticatedRequest } from './auth.decorators';
import { AuthGuard, tokenFrom } from './auth.guard';
import { Shopper } from './shopper';
import { AdminOnlyError, SessionRevokedError, UnauthorizedError } from './user.errors';
import { UserService } from './user.service';

const ADMIN_TOKEN = 'unit-admin-token-0123456789';
const SHOPPER_TOKEN = 'a'.repeat(43);

function appConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    nodeEnv: 'test',
    isProduction: false,
    port: 0,
    logLevel: 'silent',
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    docsEnabled: false,
    metricsToken: undefined,
    shutdownTimeoutMs: 10_000,
    ...overrides,
  };
}

function shopper(overrides: Partial<Shopper> = {}): Shopper {
  return { id: 7, nickName: 'user_abcdefghij', icon: '', ...overrides };
}

class SomeController {
  someRoute(): void {}
}

function httpContext(headers: Record<string, string | string[]> = {}) {
  const request = { headers } as unknown as AuthenticatedRequest;
  const context = {
    getHandler: () => SomeController.prototype.someRoute,
    getClass: () => SomeController,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

describe(tokenFrom.name, () => {
  it.each<[string | undefined, string | undefined]>([
    ['abc', 'abc'],
    ['Bearer abc', 'abc'],
    [' abc ', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['', undefined],
    [undefined, undefined],
    ['Bearer ', undefined],
    ['   ', undefined],
  ])('reads %p as %p', (header, token) => {
    expect(tokenFrom(header)).toBe(token);
  });
});

describe(AuthGuard.name, () => {
  let reflector: jest.Mocked<Pick<Reflector, 'getAllAndOverride'>>;
  let users: jest.Mocked<Pick<UserService, 'authenticate'>>;
  let sut: AuthGuard;

  const routeFor = (audience: Audience | undefined) =>
    reflector.getAllAndOverride.mockReturnValue(audience);

  beforeEach(() => {
    reflector = { getAllAndOverride: jest.fn() };
    users = { authenticate: jest.fn().mockResolvedValue(undefined) };
    sut = new AuthGuard(
      reflector as unknown as Reflector,
      users as unknown as UserService,
      appConfig(),
    );
  });

  it('reads the audience of the handler, then of its controller', async () => {
    routeFor('public');
    const { context } = httpContext();

    await sut.canActivate(context);

    expect(reflector.getAllAndOverride).toHaveBeenCalledWith(AUDIENCE, [
      SomeController.prototype.someRoute,
      SomeController,
    ]);
  });

  describe('a public route', () => {
    it('lets anyone through without looking up a token', async () => {
      routeFor('public');

      await expect(sut.canActivate(httpContext().context)).resolves.toBe(true);
      expect(users.authenticate).not.toHaveBeenCalled();
    });
  });

  describe('an admin route', () => {
    beforeEach(() => {
      routeFor('admin');
    });

    it('lets the admin token through', async () => {
      const { context } = httpContext({ 'x-admin-token': ADMIN_TOKEN });

      await expect(sut.canActivate(context)).resolves.toBe(true);
      expect(users.authenticate).not.toHaveBeenCalled();
    });

    it.each<[string, Record<string, string | string[]>]>([
      ['no admin token', {}],
      ['a wrong admin token', { 'x-admin-token': 'wrong-admin-token-0123456789' }],
      ['a prefix of the admin token', { 'x-admin-token': ADMIN_TOKEN.slice(0, -1) }],
      ['the admin token and more', { 'x-admin-token': `${ADMIN_TOKEN}x` }],
      ['an empty admin token', { 'x-admin-token': '' }],
      ['a repeated header', { 'x-admin-token': [ADMIN_TOKEN, ADMIN_TOKEN] }],
      ['a shopper token instead', { authorization: SHOPPER_TOKEN }],
    ])('refuses %s with AdminOnlyError', async (_case, headers) => {
      users.authenticate.mockResolvedValue(shopper());

      await expect(sut.canActivate(httpContext(headers).context)).rejects.toBeInstanceOf(
        AdminOnlyError,
      );
    });
  });

  describe.each<[string, Audience | undefined]>([
    ['a shopper route', 'shopper'],
    ['a route without a decorator', undefined],
  ])('%s', (_route, audience) => {
    beforeEach(() => {
      routeFor(audience);
    });

    it('refuses a request without a token with UnauthorizedError, looking nothing up', async () => {
      await expect(sut.canActivate(httpContext().context)).rejects.toBeInstanceOf(
        UnauthorizedError,
      );
      expect(users.authenticate).not.toHaveBeenCalled();
    });

    it('refuses the admin token alone with UnauthorizedError', async () => {
      const { context } = httpContext({ 'x-admin-token': ADMIN_TOKEN });

      await expect(sut.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
    });

    it('refuses an unknown token with UnauthorizedError', async () => {
      users.authenticate.mockResolvedValue(undefined);
      const { context, request } = httpContext({ authorization: SHOPPER_TOKEN });

      await expect(sut.canActivate(context)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(users.authenticate).toHaveBeenCalledWith(SHOPPER_TOKEN);
      expect(request.shopper).toBeUndefined();
    });

    it('passes SessionRevokedError on for a revoked token', async () => {
      users.authenticate.mockRejectedValue(new SessionRevokedError());
      const { context, request } = httpContext({ authorization: SHOPPER_TOKEN });

      await expect(sut.canActivate(context)).rejects.toBeInstanceOf(SessionRevokedError);
      expect(request.shopper).toBeUndefined();
    });

    it.each([SHOPPER_TOKEN, `Bearer ${SHOPPER_TOKEN}`])(
      'lets a known token (%s) through and puts its shopper on the request',
      async (header) => {
        const known = shopper();
        users.authenticate.mockResolvedValue(known);
        const { context, request } = httpContext({ authorization: header });

        await expect(sut.canActivate(context)).resolves.toBe(true);
        expect(users.authenticate).toHaveBeenCalledWith(SHOPPER_TOKEN);
        expect(request.shopper).toEqual(known);
        expect(request.sessionToken).toBe(SHOPPER_TOKEN);
      },
    );
  });
});
