import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.constants';
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
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async publish(instanceId: string, sales: ReadonlyMap<number, SaleStats>): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [voucherId, stats] of sales) {
      const key = RedisKeys.saleStats(voucherId);
      pipeline.hset(key, instanceId, JSON.stringify(stats)).pexpire(key, STATS_TTL_MS);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
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
    const stock = await this.redis.get(RedisKeys.seckillStock(voucherId));
    return stock === null ? undefined : Number(stock);
  }
}
