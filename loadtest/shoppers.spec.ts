import { UserService } from '../src/user/user.service';
import { loadtestPhones, prepareShoppers, SIGN_IN_BATCH_SIZE } from './shoppers';

describe('shoppers', () => {
  describe(loadtestPhones.name, () => {
    it('gives distinct 11-digit phones from the load-test range', () => {
      const sut = loadtestPhones(3, 999_999_997);
      expect(sut).toEqual(['19999999997', '19999999998', '19999999999']);
    });
  });

  describe(prepareShoppers.name, () => {
    let signInMany: jest.Mock;
    let users: UserService;

    beforeEach(() => {
      let nextId = 0;
      signInMany = jest.fn((phones: string[]) =>
        Promise.resolve(
          phones.map(() => {
            nextId += 1;
            return { shopper: { id: nextId, nickName: 'n', icon: '' }, token: `t${nextId}` };
          }),
        ),
      );
      users = { signInMany } as unknown as UserService;
    });

    it('signs shoppers in through UserService.signInMany, in batches', async () => {
      const sut = await prepareShoppers(users, SIGN_IN_BATCH_SIZE + 5);
      expect(signInMany.mock.calls.map(([phones]) => (phones as string[]).length)).toEqual([
        SIGN_IN_BATCH_SIZE,
        5,
      ]);
      expect(sut).toHaveLength(SIGN_IN_BATCH_SIZE + 5);
      expect(sut[0]).toEqual({ id: 1, phone: expect.stringMatching(/^19\d{9}$/), token: 't1' });
    });

    it('refuses two phones that signed in as the same user', async () => {
      signInMany.mockResolvedValueOnce([
        { shopper: { id: 7, nickName: 'n', icon: '' }, token: 'a' },
        { shopper: { id: 7, nickName: 'n', icon: '' }, token: 'b' },
      ]);
      await expect(prepareShoppers(users, 2)).rejects.toThrow(/not distinct/);
    });
  });
});
