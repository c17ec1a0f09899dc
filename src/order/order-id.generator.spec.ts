import type Redis from 'ioredis';
import { orderIdShard, RedisKeys } from '../redis/redis-keys';
import {
  composeOrderId,
  ID_EPOCH_SECONDS,
  MAX_SEQUENCE,
  OrderIdGenerator,
  orderIdSequenceAt,
  sequenceDay,
} from './order-id.generator';

const DAY_SECONDS = 24 * 3600;
const NOW = new Date('2026-11-24T10:00:00.000Z');
const NOW_SECONDS = 1_795_514_400;

describe(composeOrderId.name, () => {
  it('puts the seconds since 2022-01-01 above a 26-bit sequence and a 6-bit shard', () => {
    expect(composeOrderId(ID_EPOCH_SECONDS, 1)).toBe('64');
    expect(composeOrderId(ID_EPOCH_SECONDS, 1, 3)).toBe('67');
    expect(composeOrderId(ID_EPOCH_SECONDS + 1, 5)).toBe(String(2 ** 32 + 5 * 64));
    expect(composeOrderId(NOW_SECONDS, 7, 63)).toBe(
      String((BigInt(NOW_SECONDS - ID_EPOCH_SECONDS) << 32n) + 7n * 64n + 63n),
    );
  });

  it('answers a decimal string that splits back into its parts', () => {
    const id = BigInt(composeOrderId(NOW_SECONDS, MAX_SEQUENCE - 1, 5));

    expect(id >> 32n).toBe(BigInt(NOW_SECONDS - ID_EPOCH_SECONDS));
    expect((id & 0xffff_ffffn) >> 6n).toBe(BigInt(MAX_SEQUENCE - 1));
    expect(orderIdShard(id.toString())).toBe(5);
  });

  it('never gives two shards the same id', () => {
    expect(composeOrderId(NOW_SECONDS, 1, 0)).not.toBe(composeOrderId(NOW_SECONDS, 1, 1));
    expect(() => composeOrderId(NOW_SECONDS, 1, 64)).toThrow(RangeError);
  });

  it('gives an id of a later second a greater value, whatever the sequences', () => {
    const earlier = BigInt(composeOrderId(NOW_SECONDS, MAX_SEQUENCE - 1, 63));
    const later = BigInt(composeOrderId(NOW_SECONDS + 1, 1));

    expect(later > earlier).toBe(true);
  });

  it('orders ids of one second by their sequence', () => {
    expect(BigInt(composeOrderId(NOW_SECONDS, 2)) > BigInt(composeOrderId(NOW_SECONDS, 1))).toBe(
      true,
    );
  });

  it('is exact beyond 2^53', () => {
    const id = composeOrderId(NOW_SECONDS, 3);

    expect(id).toMatch(/^[1-9][0-9]*$/);
    expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(BigInt(id) & 0xffff_ffffn).toBe(3n * 64n);
  });
});

describe(sequenceDay.name, () => {
  it.each([
    ['2026-11-24T10:00:00.000Z', '2026:11:24'],
    ['2026-11-24T00:00:00.000Z', '2026:11:24'],
    ['2026-11-24T23:59:59.999Z', '2026:11:24'],
    ['2026-11-25T00:00:00.000Z', '2026:11:25'],
    // Local midnight elsewhere is not the day boundary: only UTC counts.
    ['2026-11-25T07:59:59.999+08:00', '2026:11:24'],
    ['2026-11-24T20:00:00.000-05:00', '2026:11:25'],
    ['2027-01-01T00:00:00.000Z', '2027:01:01'],
  ])('files %s under %s', (instant, day) => {
    expect(sequenceDay(new Date(instant))).toBe(day);
  });
});

describe(OrderIdGenerator.name, () => {
  let redis: {
    defineCommand: jest.Mock;
    nextOrderSequence: jest.Mock<Promise<number>, [string, number]>;
  };
  let sut: OrderIdGenerator;

  beforeEach(() => {
    redis = { defineCommand: jest.fn(), nextOrderSequence: jest.fn() };
    sut = new OrderIdGenerator(redis as unknown as Redis);
  });

  it("draws the sequence from the day's key and composes the id from it", async () => {
    redis.nextOrderSequence.mockResolvedValue(7);

    await expect(sut.next(NOW)).resolves.toBe(composeOrderId(NOW_SECONDS, 7));

    expect(redis.nextOrderSequence).toHaveBeenCalledTimes(1);
    expect(redis.nextOrderSequence.mock.calls[0][0]).toBe(RedisKeys.orderIdSequence('2026:11:24'));
    expect(redis.nextOrderSequence.mock.calls[0][0]).toBe('icr:order:{s0}:2026:11:24');
  });

  it('uses whole seconds', async () => {
    redis.nextOrderSequence.mockResolvedValue(7);

    await expect(sut.next(new Date(NOW.getTime() + 999))).resolves.toBe(
      composeOrderId(NOW_SECONDS, 7),
    );
  });

  it("gives the day's key an expiry beyond the day with every id, in the same command", async () => {
    redis.nextOrderSequence.mockResolvedValue(1);

    await sut.next(NOW);

    const [key, seconds] = redis.nextOrderSequence.mock.calls[0];
    expect(key).toBe('icr:order:{s0}:2026:11:24');
    expect(seconds).toBeGreaterThan(DAY_SECONDS);
  });

  it('refuses a sequence that would spill into the seconds', () => {
    expect(() => composeOrderId(NOW_SECONDS, MAX_SEQUENCE)).toThrow(RangeError);
    expect(() => composeOrderId(NOW_SECONDS, 0)).toThrow(RangeError);
  });

  it('passes a Redis failure on', async () => {
    const failure = new Error('Connection is closed.');
    redis.nextOrderSequence.mockRejectedValue(failure);

    await expect(sut.next(NOW)).rejects.toBe(failure);
  });
});

describe(orderIdSequenceAt.name, () => {
  it("draws from the UTC day's key, also across midnight and back", () => {
    const before = orderIdSequenceAt(new Date('2026-11-24T23:59:59.999Z'));
    const after = orderIdSequenceAt(new Date('2026-11-25T00:00:00.000Z'));

    expect(before.key).toBe('icr:order:{s0}:2026:11:24');
    expect(after.key).toBe('icr:order:{s0}:2026:11:25');
    expect(orderIdSequenceAt(new Date('2026-11-24T10:00:00.000Z'), 5).key).toBe(
      'icr:order:{s5}:2026:11:24',
    );
    expect(after.epochSeconds - before.epochSeconds).toBe(1);
  });

  it('refuses a time before the id epoch', () => {
    expect(() => orderIdSequenceAt(new Date('2021-12-31T23:59:59.000Z'))).toThrow(RangeError);
  });
});
