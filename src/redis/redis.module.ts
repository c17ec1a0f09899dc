import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/configuration';
import { REDIS, RedisClient } from './redis.constants';
import { connectRedis } from './redis.factory';

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: (config: RedisConfig) => connectRedis(config),
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
