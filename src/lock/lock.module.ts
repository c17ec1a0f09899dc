import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { lockConfig, LockConfig } from '../config/configuration';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { LOCK_MASTERS, REDLOCK } from './lock.constants';
import { closeLockMasters, connectLockMasters, createRedlock, LockMasters } from './lock.factory';
import { LockService } from './lock.service';

@Module({
  providers: [
    {
      provide: LOCK_MASTERS,
      inject: [lockConfig.KEY, REDIS],
      useFactory: (config: LockConfig, redis: RedisClient) => connectLockMasters(config, redis),
    },
    {
      provide: REDLOCK,
      inject: [LOCK_MASTERS],
      useFactory: (masters: LockMasters) => createRedlock(masters.clients),
    },
    LockService,
  ],
  exports: [LockService],
})
export class LockModule implements OnApplicationShutdown {
  constructor(@Inject(LOCK_MASTERS) private readonly masters: LockMasters) {}

  async onApplicationShutdown(): Promise<void> {
    await closeLockMasters(this.masters);
  }
}
