import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import Redlock from 'redlock';
import { REDIS } from '../redis/redis.constants';
import { REDLOCK } from './lock.constants';
import { LockService } from './lock.service';

@Module({
  providers: [
    {
      provide: REDLOCK,
      inject: [REDIS],
      useFactory: (redis: Redis) => {
        // retryCount 0: tryLock never waits, and release() does not retry a lease that is gone.
        const redlock = new Redlock([redis], { retryCount: 0 });
        // Every refused vote is also emitted here; tryLock reads them from the result instead.
        redlock.on('error', () => undefined);
        return redlock;
      },
    },
    LockService,
  ],
  exports: [LockService],
})
export class LockModule {}
