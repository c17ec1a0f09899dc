import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig, DatabaseConfig } from '../config/configuration';
import { prepareDatabase } from './prepare-database';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: async (config: DatabaseConfig) => {
        await prepareDatabase(config);
        return {
          type: 'mysql' as const,
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
          // No retry loop at boot: prepareDatabase has just proved MySQL answers.
          retryAttempts: 0,
          extra: { enableKeepAlive: true },
        };
      },
    }),
  ],
})
export class DatabaseModule {}
