import { Global, Module, Provider } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { allConfigs } from './configuration';
import { Env, validateEnv } from './env.validation';

/** Injection token of the validated environment (Env); the typed sections are built from it. */
export const VALIDATED_ENV = Symbol('VALIDATED_ENV');

/**
 * Validates the environment when the application is created (not when this file
 * is loaded), once, and provides every config section built from the result.
 * Nothing reads process.env after that. @nestjs/config only loads a .env file
 * into process.env (variables already set win).
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot()],
  providers: [
    { provide: VALIDATED_ENV, useFactory: (): Env => validateEnv(process.env) },
    ...allConfigs.map((section): Provider => ({
      provide: section.KEY,
      inject: [VALIDATED_ENV],
      useFactory: (env: Env) => section.build(env),
    })),
  ],
  exports: allConfigs.map((section) => section.KEY),
})
export class AppConfigModule {}
