import Redis from 'ioredis';
import {
  composeOrderId,
  ID_EPOCH_SECONDS,
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
return next_order_id(KEYS[1], ARGV[1], ARGV[2])
`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    await redis.del(KEY);
    await redis.quit();
  });

  const draw = (epochSeconds: number, sequence: number) =>
    redis.eval(DRAW, 1, KEY, 60, epochSeconds, sequence) as Promise<string>;

  it.each([
    [0, 1],
    [0, 9_999],
    [0, 10_000],
    [1, 5],
    [9_999, 1],
    [10_000, 1],
    [1_795_514_400 - ID_EPOCH_SECONDS, 7],
    [1_795_514_400 - ID_EPOCH_SECONDS, 2 ** 32 - 1],
    [2 ** 31 + 12_345, 4_000_000_001],
    [2 ** 32 - 1, 2 ** 32 - 1],
  ])('draws the id of %i s and sequence %i as composeOrderId does', async (seconds, sequence) => {
    await expect(draw(seconds, sequence)).resolves.toBe(
      composeOrderId(seconds + ID_EPOCH_SECONDS, sequence),
    );
  });

  it("sets the day's key expiry with every id", async () => {
    await draw(1, 1);

    const ttl = await redis.ttl(KEY);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('refuses a sequence that would spill into the seconds', async () => {
    await expect(draw(1, 2 ** 32)).rejects.toThrow(/sequence of the day is spent/);
  });

  it("takes the seconds and the day's key from the caller's clock, as OrderIdGenerator does", () => {
    const at = orderIdSequenceAt(new Date('2026-11-24T10:00:00.999Z'));

    expect(at.key).toBe('icr:order:2026:11:24');
    expect(at.epochSeconds).toBe(1_795_514_400 - ID_EPOCH_SECONDS);
    expect(at.keyTtlSeconds).toBeGreaterThan(24 * 3600);
  });
});
