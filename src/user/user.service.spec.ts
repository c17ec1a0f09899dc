import { AuthConfig } from '../config/configuration';
import { LockService } from '../lock/lock.service';
import { LoginCodeSender } from './login-code.sender';
import { LoginCodeStore } from './login-code.store';
import { LoginLimiter } from './login-limiter';
import { SessionStore } from './session.store';
import { User } from './user.entity';
import {
  CodeNotSentError,
  InvalidCodeError,
  SessionRevokedError,
  TooManyAttemptsError,
  TooManyCodeRequestsError,
} from './user.errors';
import { UserRepository } from './user.repository';
import { newNickName, UserService } from './user.service';

const PHONE = '13800000000';
const CODE = '123456';
const TOKEN = 'b'.repeat(43);
const SHOPPER = { id: 7, nickName: 'user_abcdefghij', icon: '' };

function user(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 7,
    phone: PHONE,
    nickName: 'user_abcdefghij',
    icon: '',
    createTime: new Date('2026-11-24T10:00:00.000Z'),
    ...overrides,
  });
}

function authConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    tokenTtlSeconds: 7200,
    loginCodeTtlSeconds: 120,
    loginMaxFailures: 5,
    loginFailureWindowSeconds: 900,
    loginCodeCooldownSeconds: 60,
    loginCodesPerDay: 10,
    smsWebhookUrl: undefined,
    smsWebhookToken: undefined,
    smsWebhookTimeoutMs: 1000,
    singleSession: false,
    loginLockLeaseMs: 5000,
    loginLockWaitMs: 2000,
    ...overrides,
  };
}

describe(newNickName.name, () => {
  it('is user_ and 10 random characters', () => {
    expect(newNickName()).toMatch(/^user_[A-Za-z0-9_-]{10}$/);
    expect(newNickName()).not.toBe(newNickName());
  });
});

describe(UserService.name, () => {
  let users: jest.Mocked<Pick<UserRepository, 'findOrCreateByPhone' | 'findOrCreateManyByPhone'>>;
  let codes: jest.Mocked<Pick<LoginCodeStore, 'store' | 'consume'>>;
  let sessions: jest.Mocked<
    Pick<SessionStore, 'create' | 'createMany' | 'replaceCurrent' | 'find' | 'end' | 'endCurrent'>
  >;
  let limits: jest.Mocked<
    Pick<
      LoginLimiter,
      'takeLoginAttempt' | 'returnLoginAttempt' | 'takeCodeRequest' | 'liftCodeCooldown'
    >
  >;
  let sender: jest.Mocked<LoginCodeSender>;
  let locks: jest.Mocked<Pick<LockService, 'withLock'>>;
  let sut: UserService;

  function build(config: AuthConfig = authConfig()): UserService {
    return new UserService(
      users as unknown as UserRepository,
      codes as unknown as LoginCodeStore,
      sessions as unknown as SessionStore,
      limits as unknown as LoginLimiter,
      sender,
      locks as unknown as LockService,
      config,
    );
  }

  beforeEach(() => {
    users = {
      findOrCreateByPhone: jest.fn().mockResolvedValue(user()),
      findOrCreateManyByPhone: jest.fn(),
    };
    codes = { store: jest.fn().mockResolvedValue(undefined), consume: jest.fn() };
    sessions = {
      create: jest.fn().mockResolvedValue(TOKEN),
      createMany: jest.fn(),
      replaceCurrent: jest.fn().mockResolvedValue(TOKEN),
      find: jest.fn(),
      end: jest.fn().mockResolvedValue(undefined),
      endCurrent: jest.fn().mockResolvedValue(undefined),
    };
    limits = {
      takeLoginAttempt: jest.fn().mockResolvedValue(undefined),
      returnLoginAttempt: jest.fn().mockResolvedValue(undefined),
      takeCodeRequest: jest.fn().mockResolvedValue(undefined),
      liftCodeCooldown: jest.fn().mockResolvedValue(undefined),
    };
    sender = { send: jest.fn().mockResolvedValue(undefined) };
    locks = {
      withLock: jest.fn((_key: string, _options: unknown, fn: () => Promise<unknown>) =>
        fn(),
      ) as unknown as jest.Mocked<LockService>['withLock'],
    };
    sut = build();
  });

  describe('sendLoginCode', () => {
    it('sends a fresh code with its expiry, stores it once sent, and hands it back', async () => {
      const before = Date.now();

      const code = await sut.sendLoginCode(PHONE);

      expect(code).toMatch(/^\d{6}$/);
      expect(limits.takeCodeRequest).toHaveBeenCalledWith(PHONE);
      expect(sender.send).toHaveBeenCalledWith({ phone: PHONE, code, expiresAt: expect.any(Date) });
      const { expiresAt } = sender.send.mock.calls[0][0];
      expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + 120_000);
      expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);
      expect(codes.store).toHaveBeenCalledWith(PHONE, code);
      expect(sender.send.mock.invocationCallOrder[0]).toBeLessThan(
        codes.store.mock.invocationCallOrder[0],
      );
    });

    it('sends and stores nothing when the phone is over its limits', async () => {
      limits.takeCodeRequest.mockRejectedValue(new TooManyCodeRequestsError(42));

      await expect(sut.sendLoginCode(PHONE)).rejects.toBeInstanceOf(TooManyCodeRequestsError);

      expect(sender.send).not.toHaveBeenCalled();
      expect(codes.store).not.toHaveBeenCalled();
    });

    it('stores no code when it could not be sent, and lifts the cooldown', async () => {
      const failure = new CodeNotSentError(new Error('SMS webhook answered 500'));
      sender.send.mockRejectedValue(failure);

      await expect(sut.sendLoginCode(PHONE)).rejects.toBe(failure);

      expect(codes.store).not.toHaveBeenCalled();
      expect(limits.liftCodeCooldown).toHaveBeenCalledWith(PHONE);
    });

    it('passes the send failure on even when lifting the cooldown fails too', async () => {
      const failure = new CodeNotSentError(new Error('timeout'));
      sender.send.mockRejectedValue(failure);
      limits.liftCodeCooldown.mockRejectedValue(new Error('Connection is closed.'));

      await expect(sut.sendLoginCode(PHONE)).rejects.toBe(failure);
    });
  });

  describe('login', () => {
    it('counts the guess before it checks the code', async () => {
      codes.consume.mockResolvedValue(true);

      await sut.login(PHONE, CODE);

      expect(limits.takeLoginAttempt).toHaveBeenCalledWith(PHONE);
      expect(limits.takeLoginAttempt.mock.invocationCallOrder[0]).toBeLessThan(
        codes.consume.mock.invocationCallOrder[0],
      );
    });

    it('refuses a blocked phone without looking at the code, even a right one', async () => {
      limits.takeLoginAttempt.mockRejectedValue(new TooManyAttemptsError(600));
      codes.consume.mockResolvedValue(true);

      await expect(sut.login(PHONE, CODE)).rejects.toBeInstanceOf(TooManyAttemptsError);

      expect(codes.consume).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
    });

    it('refuses a wrong code with InvalidCodeError, keeping the guess counted', async () => {
      codes.consume.mockResolvedValue(false);

      await expect(sut.login(PHONE, '000000')).rejects.toBeInstanceOf(InvalidCodeError);

      expect(codes.consume).toHaveBeenCalledWith(PHONE, '000000');
      expect(limits.returnLoginAttempt).not.toHaveBeenCalled();
      expect(users.findOrCreateByPhone).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
    });

    it('passes a failure to check the code on, gives the guess back, creates nothing', async () => {
      const failure = new Error('Connection is closed.');
      codes.consume.mockRejectedValue(failure);

      await expect(sut.login(PHONE, CODE)).rejects.toBe(failure);

      expect(limits.returnLoginAttempt).toHaveBeenCalledWith(PHONE);
      expect(users.findOrCreateByPhone).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
    });

    it('signs in with a matching code: gives the guess back, answers a session token', async () => {
      codes.consume.mockResolvedValue(true);

      await expect(sut.login(PHONE, CODE)).resolves.toBe(TOKEN);

      expect(codes.consume).toHaveBeenCalledWith(PHONE, CODE);
      expect(limits.returnLoginAttempt).toHaveBeenCalledWith(PHONE);
      expect(users.findOrCreateByPhone).toHaveBeenCalledWith(
        PHONE,
        expect.stringMatching(/^user_.{10}$/),
      );
      expect(sessions.create).toHaveBeenCalledTimes(1);
      expect(sessions.create).toHaveBeenCalledWith(SHOPPER);
      expect(locks.withLock).not.toHaveBeenCalled();
    });

    it('under SINGLE_SESSION replaces the current session under lock:login:<userId>', async () => {
      sut = build(authConfig({ singleSession: true }));
      codes.consume.mockResolvedValue(true);

      await expect(sut.login(PHONE, CODE)).resolves.toBe(TOKEN);

      expect(locks.withLock).toHaveBeenCalledTimes(1);
      expect(locks.withLock).toHaveBeenCalledWith(
        'lock:login:7',
        { leaseMs: 5000, waitMs: 2000 },
        expect.any(Function),
      );
      expect(sessions.replaceCurrent).toHaveBeenCalledWith(SHOPPER);
      expect(sessions.create).not.toHaveBeenCalled();
    });
  });

  describe('signInMany', () => {
    const two = () => [
      user({ id: 1, phone: '13800000001', nickName: 'user_one' }),
      user({ id: 2, phone: '13800000002', nickName: 'user_two' }),
    ];

    it('answers each phone with its shopper and token, in order', async () => {
      users.findOrCreateManyByPhone.mockResolvedValue(two());
      sessions.createMany.mockResolvedValue(['token-1', 'token-2']);

      await expect(sut.signInMany(['13800000001', '13800000002'])).resolves.toEqual([
        { shopper: { id: 1, nickName: 'user_one', icon: '' }, token: 'token-1' },
        { shopper: { id: 2, nickName: 'user_two', icon: '' }, token: 'token-2' },
      ]);
      expect(users.findOrCreateManyByPhone).toHaveBeenCalledWith([
        { phone: '13800000001', nickName: expect.stringMatching(/^user_/) },
        { phone: '13800000002', nickName: expect.stringMatching(/^user_/) },
      ]);
    });

    it('under SINGLE_SESSION replaces each user’s session under that user’s lock', async () => {
      sut = build(authConfig({ singleSession: true }));
      users.findOrCreateManyByPhone.mockResolvedValue(two());
      sessions.replaceCurrent.mockImplementation((shopper) =>
        Promise.resolve(`token-${shopper.id}`),
      );

      await expect(sut.signInMany(['13800000001', '13800000002'])).resolves.toEqual([
        { shopper: expect.objectContaining({ id: 1 }), token: 'token-1' },
        { shopper: expect.objectContaining({ id: 2 }), token: 'token-2' },
      ]);
      expect(locks.withLock.mock.calls.map(([key]) => key)).toEqual([
        'lock:login:1',
        'lock:login:2',
      ]);
      expect(sessions.createMany).not.toHaveBeenCalled();
    });
  });

  describe('authenticate', () => {
    it("answers the token's shopper", async () => {
      sessions.find.mockResolvedValue(SHOPPER);

      await expect(sut.authenticate(TOKEN)).resolves.toBe(SHOPPER);
      expect(sessions.find).toHaveBeenCalledWith(TOKEN);
    });

    it('answers undefined for an unknown token', async () => {
      sessions.find.mockResolvedValue(undefined);

      await expect(sut.authenticate(TOKEN)).resolves.toBeUndefined();
    });

    it('refuses a revoked session with SessionRevokedError', async () => {
      sessions.find.mockResolvedValue('revoked');

      await expect(sut.authenticate(TOKEN)).rejects.toBeInstanceOf(SessionRevokedError);
    });
  });

  describe('logout', () => {
    it('ends the session of the token', async () => {
      await sut.logout(SHOPPER, TOKEN);

      expect(sessions.end).toHaveBeenCalledWith(TOKEN);
      expect(locks.withLock).not.toHaveBeenCalled();
    });

    it('under SINGLE_SESSION ends it and its record under lock:login:<userId>', async () => {
      sut = build(authConfig({ singleSession: true }));

      await sut.logout(SHOPPER, TOKEN);

      expect(locks.withLock).toHaveBeenCalledWith(
        'lock:login:7',
        { leaseMs: 5000, waitMs: 2000 },
        expect.any(Function),
      );
      expect(sessions.endCurrent).toHaveBeenCalledWith(7, TOKEN);
      expect(sessions.end).not.toHaveBeenCalled();
    });
  });
});
