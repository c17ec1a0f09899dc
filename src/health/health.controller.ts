import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DependencyUnavailableError, Dependency } from '../common/domain-error';
import { ok, SuccessEnvelope } from '../common/envelope';
import { databaseConfig, DatabaseConfig } from '../config/configuration';
import { Public } from '../user/auth.decorators';
import { RedisHealthIndicator } from './redis.health';

const DEPENDENCIES: readonly Dependency[] = ['mysql', 'redis'];

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Inject(databaseConfig.KEY) private readonly config: DatabaseConfig,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: '200 when MySQL and Redis answer; 503 naming the ones that do not' })
  async check(): Promise<SuccessEnvelope<Record<Dependency, 'up'>>> {
    await this.health
      .check([
        () => this.mysql.pingCheck('mysql', { timeout: this.config.timeoutMs }),
        () => this.redis.pingCheck('redis'),
      ])
      .catch((error: { response?: { error?: Record<string, unknown> } }) => {
        const down = DEPENDENCIES.filter((name) => name in (error.response?.error ?? {}));
        throw new DependencyUnavailableError(down.length ? down : DEPENDENCIES, error);
      });
    return ok({ mysql: 'up', redis: 'up' });
  }
}
