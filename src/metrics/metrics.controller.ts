import { Controller, Get, Inject, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Registry } from 'prom-client';
import { Public } from '../user/auth.decorators';
import { METRICS_REGISTRY } from './metrics.constants';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Prometheus text format, outside the JSON envelope (its errors are in it). */
@ApiExcludeController()
@Controller('metrics')
@UseGuards(MetricsTokenGuard)
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Public()
  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    await reply
      .header('content-type', this.registry.contentType)
      .send(await this.registry.metrics());
  }
}
