import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';
import { MetricsController } from './metrics.controller';
import { LockMetrics } from './lock.metrics';
import { OrderStreamMetrics } from './order-stream.metrics';
import { SeckillMetrics } from './seckill.metrics';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      // One registry per application (not prom-client's global), so several apps
      // in one process (the e2e tests) do not collide.
      provide: METRICS_REGISTRY,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    SeckillMetrics,
    LockMetrics,
    OrderStreamMetrics,
  ],
  exports: [SeckillMetrics, LockMetrics, OrderStreamMetrics],
})
export class MetricsModule {}
