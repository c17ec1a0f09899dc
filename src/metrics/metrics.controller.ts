import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Registry } from 'prom-client';
import { Public } from '../user/auth.decorators';
import { METRICS_REGISTRY } from './metrics.constants';

/** Prometheus text format, outside the JSON envelope. */
@ApiExcludeController()
@Controller('metrics')
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
