import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthGuard } from './auth.guard';
import { LoginCodeStore } from './login-code.store';
import { SessionStore } from './session.store';
import { UserController } from './user.controller';
import { User } from './user.entity';
import { UserRepository } from './user.repository';
import { UserService } from './user.service';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UserController],
  providers: [
    UserRepository,
    LoginCodeStore,
    SessionStore,
    UserService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [UserService],
})
export class UserModule {}
