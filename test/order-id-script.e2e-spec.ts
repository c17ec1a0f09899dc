import Redis from 'ioredis';
import {
  composeOrderId,
  ID_EPOCH_SECONDS,
  MAX_SEQUENCE,
  NEXT_ORDER_ID_LUA,
  orderIdSequenceAt,
} from '../src/order/order-id.generator';

/**
 * The async admission draws order ids in Lua, where numbers are doubles and an
 * id exceeds 2^53: the ids must be exactly composeOrderId's, digit for digit.
 */
describe('NEXT_ORDER_ID_LUA (e2e, real Redis)', () => {
  const KEY = 'test:order-id-script:sequence';
  // Sets the sequence to ARGV[3] - 1, then draws one id: the id of that sequence.
  const DRAW = `${NEXT_ORDER_ID_LUA}
redis.call('SET', KEYS[1], tonumber(ARGV[3]) - 1)
return next_order_id(KEYS[1], ARGV[1], ARGV[2], ARGV[4])
`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    await redis.del(KEY);
    await redis.quit();
  });

  const draw = (epochSeconds: number, sequence: number, shard = 0) =>
    redis.eval(DRAW, 1, KEY, 60, epochSeconds, sequence, shard) as Promise<string>;

  it.each([
    [0, 1, 0],
    [0, 156, 15],
    [0, 157, 0],
    [1, 5, 1],
    [9_999, 1, 0],
    [10_000, 1, 63],
    [1_795_514_400 - ID_EPOCH_SECONDS, 7, 3],
    [1_795_514_400 - ID_EPOCH_SECONDS, MAX_SEQUENCE - 1, 0],
    [2 ** 31 + 12_345, 62_500_001, 42],
    [2 ** 32 - 1, MAX_SEQUENCE - 1, 63],
  ])(
    'draws the id of %i s, sequence %i and shard %i as composeOrderId does',
    async (seconds, sequence, shard) => {
      await expect(draw(seconds, sequence, shard)).resolves.toBe(
        composeOrderId(seconds + ID_EPOCH_SECONDS, sequence, shard),
      );
    },
  );

  it("sets the day's key expiry with every id", async () => {
    await draw(1, 1);

    const ttl = await redis.ttl(KEY);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('refuses a sequence that would spill into the seconds', async () => {
    await expect(draw(1, MAX_SEQUENCE)).rejects.toThrow(/sequence of the day is spent/);
  });

  it("takes the seconds and the day's key from the caller's clock, as OrderIdGenerator does", () => {
    const at = orderIdSequenceAt(new Date('2026-11-24T10:00:00.999Z'));

    expect(at.key).toBe('icr:order:{s0}:2026:11:24');
    expect(at.epochSeconds).toBe(1_795_514_400 - ID_EPOCH_SECONDS);
    expect(at.keyTtlSeconds).toBeGreaterThan(24 * 3600);
  });
});
