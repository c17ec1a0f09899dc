import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import * as mysql2 from 'mysql2';
import { databaseConfig, DatabaseConfig } from '../config/configuration';
import { DeadlineCaller } from './deadline-caller';
import { DropTimedOutConnectionSubscriber } from './drop-timed-out-connection.subscriber';
import { prepareDatabase } from './prepare-database';
import { sessionSettingsSql, withSessionSettings } from './session-settings';
import { TypeOrmLogger } from './typeorm-logger';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: async (config: DatabaseConfig) => {
        await prepareDatabase(config);
        return {
          type: 'mysql' as const,
          // Every pooled connection, the first one included, starts with UTC and
          // bounded lock waits (see session-settings.ts).
          driver: withSessionSettings(mysql2, sessionSettingsSql(config.timeoutMs)),
          host: config.host,
          port: config.port,
          username: config.user,
          password: config.password,
          database: config.name,
          timezone: 'Z',
          autoLoadEntities: true,
          synchronize: false,
          migrationsRun: false,
          poolSize: config.poolSize,
          connectTimeout: config.timeoutMs,
          // A hung (not down) database must answer 503 too: every query has a
          // deadline, and a connection whose query missed it is thrown away.
          enableQueryTimeout: true,
          maxQueryExecutionTime: config.timeoutMs,
          subscribers: [DropTimedOutConnectionSubscriber],
          logger: new TypeOrmLogger(),
          // No retry loop at boot: prepareDatabase has just proved MySQL answers.
          retryAttempts: 0,
          extra: { enableKeepAlive: true },
        };
      },
    }),
  ],
  providers: [DeadlineCaller],
  exports: [DeadlineCaller],
})
export class DatabaseModule {}
