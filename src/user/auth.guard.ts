import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Secret } from '../common/secret';
import { appConfig, AppConfig } from '../config/configuration';
import { AUDIENCE, Audience, AuthenticatedRequest } from './auth.decorators';
import { AdminOnlyError, UnauthorizedError } from './user.errors';
import { UserService } from './user.service';

/** `authorization: <token>` or `authorization: Bearer <token>` (the scheme in any case). */
export function tokenFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.replace(/^bearer\s+/i, '').trim() || undefined;
}

/**
 * Global guard, closed by default: a route needs a shopper's token unless it is
 * marked @Public() or @AdminOnly().
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminToken: Secret;

  constructor(
    private readonly reflector: Reflector,
    private readonly users: UserService,
    @Inject(appConfig.KEY) config: AppConfig,
  ) {
    this.adminToken = new Secret(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const audience =
      this.reflector.getAllAndOverride<Audience>(AUDIENCE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'shopper';
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    if (audience === 'public') return true;
    if (audience === 'admin') {
      if (!this.adminToken.matches(request.headers['x-admin-token'])) {
        throw new AdminOnlyError();
      }
      return true;
    }
    const token = tokenFrom(request.headers.authorization);
    const shopper = token ? await this.users.authenticate(token) : undefined;
    if (!shopper) throw new UnauthorizedError();
    request.shopper = shopper;
    request.sessionToken = token;
    return true;
  }
}
