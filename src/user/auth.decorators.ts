import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Shopper } from './shopper';

export type Audience = 'public' | 'shopper' | 'admin';
export const AUDIENCE = 'audience';

/** Anyone may call this route. Routes without a decorator need a logged-in shopper. */
export const Public = () => SetMetadata(AUDIENCE, 'public' satisfies Audience);

/** Only callers with the admin token (x-admin-token) may call this route. */
export const AdminOnly = () => SetMetadata(AUDIENCE, 'admin' satisfies Audience);

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
