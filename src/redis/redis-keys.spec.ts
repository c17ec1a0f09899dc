import { composeOrderId, ID_EPOCH_SECONDS } from '../order/order-id.generator';
import {
  MAX_STREAM_SHARDS,
  orderIdShard,
  RedisKeyPrefixes,
  RedisKeys,
  voucherShard,
} from './redis-keys';

/** The hash tag of a key, as Redis Cluster reads it: the first {...} with something inside. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : undefined;
}

describe('RedisKeys (stream shards)', () => {
  it.each([
    [42, 8],
    [7, 1],
    [63, 64],
  ])(
    'tags voucher %i and everything its admission touches with one shard (of %i)',
    (voucherId, shards) => {
      const shard = voucherShard(voucherId, shards);
      const orderId = composeOrderId(ID_EPOCH_SECONDS + 1000, 17, shard);
      const keys = [
        RedisKeys.seckillStock(voucherId, shards),
        RedisKeys.seckillBuyers(voucherId, shards),
        RedisKeys.seckillWindow(voucherId, shards),
        RedisKeys.orderStream(shard),
        RedisKeys.orderDeadLetters(shard),
        RedisKeys.orderIdSequence('2026:11:30', shard),
        RedisKeys.asyncOrderState(orderId),
        `${RedisKeyPrefixes.asyncOrderState(shard)}${orderId}`,
      ];

      expect(new Set(keys.map(hashTag))).toEqual(new Set([`s${shard}`]));
    },
  );

  it("keeps the product's key shapes around the tag", () => {
    expect(RedisKeys.seckillStock(42, 8)).toBe('seckill:stock:{s2}:42');
    expect(RedisKeys.seckillBuyers(42, 8)).toBe('seckill:order:{s2}:42');
    expect(RedisKeys.orderStream(2)).toBe('stream.orders:{s2}');
    expect(RedisKeys.legacyOrderStream).toBe('stream.orders');
  });

  it('reads the shard back from an order id', () => {
    for (const shard of [0, 1, 5, MAX_STREAM_SHARDS - 1]) {
      expect(orderIdShard(composeOrderId(ID_EPOCH_SECONDS + 99, 12_345, shard))).toBe(shard);
    }
  });

  it('leaves single-key locks and sessions untagged', () => {
    expect(hashTag(RedisKeys.orderLock(7))).toBeUndefined();
    expect(hashTag(RedisKeys.loginToken('ab'))).toBeUndefined();
  });
});
