import { Inject, Injectable } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { authConfig, AuthConfig } from '../config/configuration';
import { isCluster, REDIS, RedisClient } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { Shopper } from './shopper';

/** 32 random bytes, base64url: what a token looks like. Anything else is refused without a lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * What Redis knows a session by: the SHA-256 of its token (hex). Redis never holds a
 * token, so a dump or MONITOR of it hands out no live session.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Turns a session into a tombstone { revoked } that keeps the rest of its lifetime
 * (HSET before HDEL, so the hash never empties and loses its TTL); its token then
 * answers SESSION_REVOKED instead of UNAUTHORIZED. Nothing happens to a session that
 * is already gone.
 */
const REVOKE_SESSION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
redis.call('HDEL', KEYS[1], 'id', 'nickName', 'icon')
return 1
`;

/** Deletes the current-session record only if it still names this session. */
const CLEAR_CURRENT_SESSION = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface SessionCommands<R> {
  revokeSession(sessionKey: string): R;
  clearCurrentSession(currentSessionKey: string, digest: string): R;
}
type RedisWithSessionCommands = RedisClient & SessionCommands<Promise<number>>;
type MultiWithSessionCommands = ChainableCommander & SessionCommands<MultiWithSessionCommands>;

/** A session as the auth guard sees it: its shopper, or revoked by a later login. */
export type SessionLookup = Shopper | 'revoked' | undefined;

/**
 * Login sessions as in hm-dianping: a random token whose Redis hash holds the shopper,
 * with a fixed lifetime; one HGETALL authenticates a request. The hash is keyed by the
 * token's digest. Under SINGLE_SESSION, `login:session:<userId>` holds the digest of the
 * user's current session, which the next login revokes.
 */
@Injectable()
export class SessionStore {
  private readonly redis: RedisWithSessionCommands;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {
    redis.defineCommand('revokeSession', { numberOfKeys: 1, lua: REVOKE_SESSION });
    redis.defineCommand('clearCurrentSession', { numberOfKeys: 1, lua: CLEAR_CURRENT_SESSION });
    this.redis = redis as RedisWithSessionCommands;
  }

  async create(shopper: Shopper): Promise<string> {
    const [token] = await this.createMany([shopper]);
    return token;
  }

  /** One round trip for any number of sessions (MULTI of HSET + EXPIRE pairs). */
  async createMany(shoppers: readonly Shopper[]): Promise<string[]> {
    const tokens = shoppers.map(newToken);
    if (isCluster(this.redis)) {
      // Sessions of different slots: one MULTI each (auto-pipelined, a few round trips).
      await Promise.all(
        shoppers.map((shopper, i) => {
          const multi = this.multi();
          this.addSession(multi, shopper, tokenDigest(tokens[i]));
          return multi.exec();
        }),
      );
      return tokens;
    }
    const multi = this.multi();
    shoppers.forEach((shopper, i) => this.addSession(multi, shopper, tokenDigest(tokens[i])));
    await multi.exec();
    return tokens;
  }

  /**
   * A new session that becomes the user's only one: the current one is revoked and the
   * record names the new one. Two round trips (read the record, then one MULTI), so the
   * caller must hold the user's login lock.
   */
  async replaceCurrent(shopper: Shopper): Promise<string> {
    const token = newToken();
    const digest = tokenDigest(token);
    const recordKey = RedisKeys.currentSession(shopper.id);
    const previous = await this.redis.get(recordKey);
    if (isCluster(this.redis)) {
      // Three slots, no MULTI: under the login lock, in an order that fails safe. The
      // old session is revoked before the new one exists; a failure half way leaves the
      // user logged out, never with two sessions.
      if (previous) await this.redis.revokeSession(RedisKeys.loginToken(previous));
      const session = this.multi();
      this.addSession(session, shopper, digest);
      await session.exec();
      await this.redis.set(recordKey, digest, 'EX', this.config.tokenTtlSeconds);
      return token;
    }
    const multi = this.multi();
    if (previous) multi.revokeSession(RedisKeys.loginToken(previous));
    this.addSession(multi, shopper, digest);
    multi.set(recordKey, digest, 'EX', this.config.tokenTtlSeconds);
    await multi.exec();
    return token;
  }

  async find(token: string): Promise<SessionLookup> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const fields = await this.redis.hgetall(RedisKeys.loginToken(tokenDigest(token)));
    if (fields.revoked) return 'revoked';
    if (!fields.id) return undefined;
    return { id: Number(fields.id), nickName: fields.nickName ?? '', icon: fields.icon ?? '' };
  }

  /** Ends the session of `token`. */
  async end(token: string): Promise<void> {
    await this.redis.del(RedisKeys.loginToken(tokenDigest(token)));
  }

  /**
   * Ends the session of `token` and clears the user's current-session record if it still
   * names it: a late logout from an old device never touches the session of a new one.
   */
  async endCurrent(userId: number, token: string): Promise<void> {
    const digest = tokenDigest(token);
    if (isCluster(this.redis)) {
      // Two slots, no MULTI: the record first, so it never names a session that is gone.
      await this.redis.clearCurrentSession(RedisKeys.currentSession(userId), digest);
      await this.redis.del(RedisKeys.loginToken(digest));
      return;
    }
    await this.multi()
      .clearCurrentSession(RedisKeys.currentSession(userId), digest)
      .del(RedisKeys.loginToken(digest))
      .exec();
  }

  private multi(): MultiWithSessionCommands {
    return this.redis.multi() as MultiWithSessionCommands;
  }

  private addSession(multi: ChainableCommander, shopper: Shopper, digest: string): void {
    const key = RedisKeys.loginToken(digest);
    multi
      .hset(key, 'id', shopper.id, 'nickName', shopper.nickName, 'icon', shopper.icon)
      .expire(key, this.config.tokenTtlSeconds);
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}
