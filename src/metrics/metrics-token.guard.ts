import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { appConfig, AppConfig } from '../config/configuration';
import { MetricsTokenRequiredError } from './metrics.errors';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * With METRICS_TOKEN set, /metrics wants `authorization: Bearer <METRICS_TOKEN>`.
 * Digests of equal length are compared in constant time, so neither the
 * token's content nor its length leaks through timing.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly tokenDigest?: Buffer;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.tokenDigest = config.metricsToken === undefined ? undefined : sha256(config.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.tokenDigest) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const given = /^bearer +(\S+)$/i.exec(header ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(sha256(given), this.tokenDigest)) {
      throw new MetricsTokenRequiredError();
    }
    return true;
  }
}
