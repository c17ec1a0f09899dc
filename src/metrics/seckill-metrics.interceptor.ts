import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { DomainError } from '../common/domain-error';
import { SeckillMetrics } from './seckill.metrics';

/** Counts each seckill request by its outcome: `created` or the error code it answered. */
@Injectable()
export class SeckillMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: SeckillMetrics) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    return next.handle().pipe(
      tap({
        next: () => this.metrics.record('created', seconds()),
        error: (error: unknown) =>
          this.metrics.record(
            error instanceof DomainError ? error.code : 'INTERNAL_ERROR',
            seconds(),
          ),
      }),
    );
  }
}
