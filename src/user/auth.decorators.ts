import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Shopper } from './shopper';

export type Audience = 'public' | 'shopper' | 'admin';
export const AUDIENCE = 'audience';

/** The OpenAPI security schemes (app.factory.ts declares them), so that /docs can "Authorize". */
export const SHOPPER_AUTH = 'shopper';
export const ADMIN_AUTH = 'admin';

/** Anyone may call this route. */
export const Public = () => SetMetadata(AUDIENCE, 'public' satisfies Audience);

/**
 * A logged-in shopper may call this route. The guard needs one on every route
 * without a decorator too; this one says so in /docs (the bearer scheme).
 */
export const ShopperOnly = () =>
  applyDecorators(SetMetadata(AUDIENCE, 'shopper' satisfies Audience), ApiBearerAuth(SHOPPER_AUTH));

/** Only callers with the admin token (x-admin-token) may call this route. */
export const AdminOnly = () =>
  applyDecorators(SetMetadata(AUDIENCE, 'admin' satisfies Audience), ApiSecurity(ADMIN_AUTH));

export type AuthenticatedRequest = FastifyRequest & { shopper?: Shopper; sessionToken?: string };

/** The shopper the token belongs to: the only source of a user's identity. */
export const CurrentShopper = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Shopper =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().shopper!,
);

/** The token the request was authenticated with (to end that session). */
export const CurrentSessionToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().sessionToken!,
);
