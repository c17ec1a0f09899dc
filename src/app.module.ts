import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { RequestLog } from './common/request-log';
import { createValidationPipe } from './common/validation';
import { AppConfigModule } from './config/config.module';
import { appConfig, AppConfig } from './config/configuration';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrderModule } from './order/order.module';
import { RedisModule } from './redis/redis.module';
import { SalesModule } from './sales/sales.module';
import { UserModule } from './user/user.module';
import { VoucherModule } from './voucher/voucher.module';

function canLoad(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

@Module({
  imports: [
    AppConfigModule,
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          // Readable lines for a developer at a terminal; JSON everywhere else.
          ...(config.nodeEnv === 'development' && process.stdout.isTTY && canLoad('pino-pretty')
            ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
            : {}),
          redact: ['req.headers.authorization', 'req.headers["x-admin-token"]'],
        },
        // No per-request pino-http middleware (and no AsyncLocalStorage per request):
        // RequestLog writes one line per request, at the level its status calls for.
        forRoutes: [],
      }),
    }),
    DatabaseModule,
    RedisModule,
    UserModule,
    VoucherModule,
    OrderModule,
    HealthModule,
    MetricsModule,
    SalesModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    RequestLog,
  ],
})
export class AppModule {}
