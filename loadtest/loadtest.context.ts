import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { appConfig, AppConfig, seckillConfig, SeckillConfig } from '../src/config/configuration';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { REDIS, RedisClient } from '../src/redis/redis.constants';
import { UserService } from '../src/user/user.service';

/**
 * What the load test borrows from the application: its config, the bulk sign-in
 * of UserService, its connections to MySQL and Redis and its reading of the
 * order stream, for the checks.
 */
export interface LoadtestContext {
  users: UserService;
  dataSource: DataSource;
  redis: RedisClient;
  adminToken: string;
  orderLockLeaseMs: number;
  /** The async seckill's reading of the stream, for the async checks. */
  asyncSeckill: AsyncSeckillState;
}

export function loadtestContextOf(app: INestApplicationContext): LoadtestContext {
  return {
    users: app.get(UserService),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    redis: app.get<RedisClient>(REDIS),
    adminToken: app.get<AppConfig>(appConfig.KEY).adminToken,
    orderLockLeaseMs: app.get<SeckillConfig>(seckillConfig.KEY).orderLockLeaseMs,
    asyncSeckill: app.get(AsyncSeckillState),
  };
}
