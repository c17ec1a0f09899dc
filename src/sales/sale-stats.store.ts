import { Inject, Injectable } from '@nestjs/common';
import { asyncSeckillConfig, AsyncSeckillConfig } from '../config/configuration';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { addStats, emptyStats, parseStats, SaleStats } from './sale-stats';
import { STATS_TTL_MS } from './sales.constants';

/** The fleet's counters as one instance reads them back. */
export interface FleetStats {
  stats: SaleStats;
  /** Instances that have published counters for the voucher (running or not). */
  instances: number;
}

/**
 * The live view's counters in Redis: `sale:stats:<voucherId>`, a hash with one field
 * per instance id holding that instance's cumulative stats. Each instance writes
 * only its own field, so no write races another; readers sum the fields.
 */
@Injectable()
export class SaleStatsStore {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(asyncSeckillConfig.KEY) private readonly asyncConfig: AsyncSeckillConfig,
  ) {}

  async publish(instanceId: string, sales: ReadonlyMap<number, SaleStats>): Promise<void> {
    // One pipeline per voucher: its commands share a key, so a Redis Cluster takes them too.
    const replies = await Promise.all(
      [...sales].map(([voucherId, stats]) => {
        const key = RedisKeys.saleStats(voucherId);
        return this.redis
          .pipeline()
          .hset(key, instanceId, JSON.stringify(stats))
          .pexpire(key, STATS_TTL_MS)
          .exec();
      }),
    );
    const failed = replies.flatMap((results) => results ?? []).find(([error]) => error);
    if (failed) throw failed[0]!;
  }

  async readFleet(voucherId: number): Promise<FleetStats> {
    const fields = await this.redis.hgetall(RedisKeys.saleStats(voucherId));
    let stats = emptyStats();
    let instances = 0;
    for (const text of Object.values(fields)) {
      const published = parseStats(text);
      if (!published) continue;
      stats = addStats(stats, published);
      instances += 1;
    }
    return { stats, instances };
  }

  /** Async mode: the units Redis has left to admit; undefined when the keys are not loaded. */
  async asyncStockLeft(voucherId: number): Promise<number | undefined> {
    const stock = await this.redis.get(
      RedisKeys.seckillStock(voucherId, this.asyncConfig.streamShards),
    );
    return stock === null ? undefined : Number(stock);
  }
}
