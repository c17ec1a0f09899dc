import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DependencyUnavailableError, Dependency } from '../common/domain-error';
import { ok, SuccessEnvelope } from '../common/envelope';
import {
  asyncSeckillConfig,
  AsyncSeckillConfig,
  databaseConfig,
  DatabaseConfig,
} from '../config/configuration';
import { AsyncSeckillState } from '../order/async/async-seckill.state';
import { OrderBacklog } from '../order/async/order-backlog';
import { Public } from '../user/auth.decorators';
import { RedisHealthIndicator } from './redis.health';

const DEPENDENCIES: readonly Dependency[] = ['mysql', 'redis'];

export interface HealthResponse {
  mysql: 'up' | 'down';
  redis: 'up';
  /** Async mode: accepted orders not yet in MySQL, and dead letters. */
  orderBacklog?: OrderBacklog;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly asyncState: AsyncSeckillState,
    @Inject(databaseConfig.KEY) private readonly config: DatabaseConfig,
    @Inject(asyncSeckillConfig.KEY) private readonly asyncConfig: AsyncSeckillConfig,
  ) {}

  @Public()
  @Get()
  @ApiOperation({
    summary:
      '200 when MySQL and Redis answer; 503 naming the ones that do not. Async mode: MySQL down is reported, not 503 (Redis admits; orders wait), and the backlog is shown',
  })
  async check(): Promise<SuccessEnvelope<HealthResponse>> {
    const down = await this.health
      .check([
        () => this.mysql.pingCheck('mysql', { timeout: this.config.timeoutMs }),
        () => this.redis.pingCheck('redis'),
      ])
      .then(() => [] as Dependency[])
      .catch((error: { response?: { error?: Record<string, unknown> } }) => {
        const named = DEPENDENCIES.filter((name) => name in (error.response?.error ?? {}));
        return named.length ? named : [...DEPENDENCIES];
      });
    if (this.asyncConfig.mode !== 'async') {
      if (down.length > 0) throw new DependencyUnavailableError(down);
      return ok({ mysql: 'up', redis: 'up' });
    }
    // Async mode admits with Redis alone: MySQL down is a growing backlog, not
    // a reason for a balancer to stop sending shoppers here.
    if (down.includes('redis')) throw new DependencyUnavailableError(down);
    return ok({
      mysql: down.includes('mysql') ? 'down' : 'up',
      redis: 'up',
      orderBacklog: await this.asyncState.backlog(),
    });
  }
}
