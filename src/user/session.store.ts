import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { authConfig, AuthConfig } from '../config/configuration';
import { REDIS } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { Shopper } from './shopper';

/** 32 random bytes, base64url: what a token looks like. Anything else is refused without a lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Login sessions as in hm-dianping: the token is a random key of a Redis hash
 * holding the shopper, with a fixed lifetime. One HGETALL authenticates a request.
 */
@Injectable()
export class SessionStore {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async create(shopper: Shopper): Promise<string> {
    const [token] = await this.createMany([shopper]);
    return token;
  }

  /** One round trip for any number of sessions (MULTI of HSET + EXPIRE pairs). */
  async createMany(shoppers: readonly Shopper[]): Promise<string[]> {
    const tokens = shoppers.map(() => randomBytes(32).toString('base64url'));
    const multi = this.redis.multi();
    shoppers.forEach((shopper, i) => {
      const key = RedisKeys.loginToken(tokens[i]);
      multi
        .hset(key, 'id', shopper.id, 'nickName', shopper.nickName, 'icon', shopper.icon)
        .expire(key, this.config.tokenTtlSeconds);
    });
    await multi.exec();
    return tokens;
  }

  async find(token: string): Promise<Shopper | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const fields = await this.redis.hgetall(RedisKeys.loginToken(token));
    if (!fields.id) return undefined;
    return { id: Number(fields.id), nickName: fields.nickName ?? '', icon: fields.icon ?? '' };
  }
}
