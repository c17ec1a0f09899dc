import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Secret } from '../common/secret';
import { appConfig, AppConfig } from '../config/configuration';
import { MetricsTokenRequiredError } from './metrics.errors';

/**
 * With METRICS_TOKEN set, /metrics wants `authorization: Bearer <METRICS_TOKEN>`
 * (compared in constant time).
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token?: Secret;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.token = config.metricsToken === undefined ? undefined : new Secret(config.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.token) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const given = /^bearer +(\S+)$/i.exec(header ?? '')?.[1];
    if (!this.token.matches(given)) {
      throw new MetricsTokenRequiredError();
    }
    return true;
  }
}
