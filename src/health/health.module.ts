import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { OrderModule } from '../order/order.module';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

@Module({
  // Failures are logged once, as 503s, by the global filter.
  imports: [TerminusModule.forRoot({ logger: false }), OrderModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator],
})
export class HealthModule {}
