import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfig, authConfig } from '../config/configuration';
import { LockModule } from '../lock/lock.module';
import { AuthGuard } from './auth.guard';
import { createLoginCodeSender, LOGIN_CODE_SENDER } from './login-code.sender';
import { LoginCodeStore } from './login-code.store';
import { LoginLimiter } from './login-limiter';
import { SessionStore } from './session.store';
import { UserController } from './user.controller';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { UserService } from './user.service';

@Module({
  imports: [TypeOrmModule.forFeature([User]), LockModule],
  controllers: [UserController],
  providers: [
    UserRepository,
    LoginCodeStore,
    LoginLimiter,
    {
      provide: LOGIN_CODE_SENDER,
      inject: [appConfig.KEY, authConfig.KEY],
      useFactory: createLoginCodeSender,
    },
    SessionStore,
    UserService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [UserService],
})
export class UserModule {}
