import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { appConfig, AppConfig, seckillConfig, SeckillConfig } from '../config/configuration';
import { REDIS } from '../redis/redis.constants';
import { UserService } from '../user/user.service';

/**
 * What the load test borrows from the application: its config, the bulk sign-in
 * of UserService, and its connections to MySQL and Redis for the checks.
 */
export interface LoadtestContext {
  users: UserService;
  dataSource: DataSource;
  redis: Redis;
  adminToken: string;
  orderLockLeaseMs: number;
}

export function loadtestContextOf(app: INestApplicationContext): LoadtestContext {
  return {
    users: app.get(UserService),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    redis: app.get<Redis>(REDIS),
    adminToken: app.get<AppConfig>(appConfig.KEY).adminToken,
    orderLockLeaseMs: app.get<SeckillConfig>(seckillConfig.KEY).orderLockLeaseMs,
  };
}
