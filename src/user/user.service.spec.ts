import { LoginCodeStore } from './login-code.store';
import { SessionStore } from './session.store';
import { User } from './user.entity';
import { InvalidCodeError } from './user.errors';
import { UserRepository } from './user.repository';
import { newNickName, UserService } from './user.service';

const PHONE = '13800000000';
const CODE = '123456';
const TOKEN = 'b'.repeat(43);

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

describe(newNickName.name, () => {
  it('is user_ and 10 random characters', () => {
    expect(newNickName()).toMatch(/^user_[A-Za-z0-9_-]{10}$/);
    expect(newNickName()).not.toBe(newNickName());
  });
});

describe(UserService.name, () => {
  let users: jest.Mocked<Pick<UserRepository, 'findOrCreateByPhone' | 'findOrCreateManyByPhone'>>;
  let codes: jest.Mocked<Pick<LoginCodeStore, 'issue' | 'consume'>>;
  let sessions: jest.Mocked<Pick<SessionStore, 'create' | 'createMany' | 'find'>>;
  let sut: UserService;

  beforeEach(() => {
    users = {
      findOrCreateByPhone: jest.fn().mockResolvedValue(user()),
      findOrCreateManyByPhone: jest.fn(),
    };
    codes = { issue: jest.fn(), consume: jest.fn() };
    sessions = {
      create: jest.fn().mockResolvedValue(TOKEN),
      createMany: jest.fn(),
      find: jest.fn(),
    };
    sut = new UserService(
      users as unknown as UserRepository,
      codes as unknown as LoginCodeStore,
      sessions as unknown as SessionStore,
    );
  });

  describe('sendLoginCode', () => {
    it('issues a code for the phone and hands it back', async () => {
      codes.issue.mockResolvedValue(CODE);

      await expect(sut.sendLoginCode(PHONE)).resolves.toBe(CODE);
      expect(codes.issue).toHaveBeenCalledWith(PHONE);
    });
  });

  describe('login', () => {
    it('refuses a code that does not match with InvalidCodeError, creating nothing', async () => {
      codes.consume.mockResolvedValue(false);

      await expect(sut.login(PHONE, '000000')).rejects.toBeInstanceOf(InvalidCodeError);

      expect(codes.consume).toHaveBeenCalledWith(PHONE, '000000');
      expect(users.findOrCreateByPhone).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
    });

    it('passes a failure to check the code on, creating nothing', async () => {
      const failure = new Error('Connection is closed.');
      codes.consume.mockRejectedValue(failure);

      await expect(sut.login(PHONE, CODE)).rejects.toBe(failure);

      expect(users.findOrCreateByPhone).not.toHaveBeenCalled();
      expect(sessions.create).not.toHaveBeenCalled();
    });

    it('signs in with a matching code: finds or registers the user, answers a session token', async () => {
      codes.consume.mockResolvedValue(true);

      await expect(sut.login(PHONE, CODE)).resolves.toBe(TOKEN);

      expect(codes.consume).toHaveBeenCalledWith(PHONE, CODE);
      expect(users.findOrCreateByPhone).toHaveBeenCalledWith(
        PHONE,
        expect.stringMatching(/^user_.{10}$/),
      );
      expect(sessions.create).toHaveBeenCalledTimes(1);
      expect(sessions.create).toHaveBeenCalledWith({
        id: 7,
        nickName: 'user_abcdefghij',
        icon: '',
      });
    });
  });

  describe('signInMany', () => {
    it('answers each phone with its shopper and token, in order', async () => {
      users.findOrCreateManyByPhone.mockResolvedValue([
        user({ id: 1, phone: '13800000001', nickName: 'user_one' }),
        user({ id: 2, phone: '13800000002', nickName: 'user_two' }),
      ]);
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
  });

  describe('authenticate', () => {
    it("answers the token's shopper", async () => {
      const known = { id: 7, nickName: 'user_abcdefghij', icon: '' };
      sessions.find.mockResolvedValue(known);

      await expect(sut.authenticate(TOKEN)).resolves.toBe(known);
      expect(sessions.find).toHaveBeenCalledWith(TOKEN);
    });
  });
});
