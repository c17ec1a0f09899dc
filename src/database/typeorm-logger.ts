import { Logger } from '@nestjs/common';
import { Logger as TypeOrmLoggerContract } from 'typeorm';

/**
 * TypeORM's messages through the application's logger: slow queries as warnings,
 * failed queries at debug (the failure itself reaches the client and the
 * exception filter), everything else dropped.
 */
export class TypeOrmLogger implements TypeOrmLoggerContract {
  private readonly logger = new Logger('TypeORM');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ err: error, query }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ ms: time, query }, 'slow query');
  }

  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
  }
}
