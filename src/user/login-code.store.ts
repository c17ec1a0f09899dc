import { Inject, Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { authConfig, AuthConfig } from '../config/configuration';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';

/** Wrong guesses allowed before a code is thrown away (6 digits must not be brute-forced). */
export const MAX_CODE_ATTEMPTS = 5;

/**
 * Compare-and-delete in one step, so a code works exactly once even when two
 * logins race, and too many wrong guesses burn it.
 * Returns 1 when the code matched (and is now gone), 0 otherwise.
 */
const CONSUME_CODE = `
local stored = redis.call('HGET', KEYS[1], 'code')
if not stored then return 0 end
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
if redis.call('HINCRBY', KEYS[1], 'attempts', 1) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
end
return 0
`;

/** A fresh 6-digit code. */
export function newLoginCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

type RedisWithLoginCommands = RedisClient & {
  consumeLoginCode(key: string, code: string, maxAttempts: number): Promise<number>;
};

@Injectable()
export class LoginCodeStore {
  private readonly redis: RedisWithLoginCommands;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {
    // defineCommand runs the script by EVALSHA, loading it once on NOSCRIPT.
    redis.defineCommand('consumeLoginCode', { numberOfKeys: 1, lua: CONSUME_CODE });
    this.redis = redis as RedisWithLoginCommands;
  }

  /** Stores `code` as the live code of `phone`, replacing any earlier one. */
  async store(phone: string, code: string): Promise<void> {
    const key = RedisKeys.loginCode(phone);
    await this.redis
      .multi()
      .del(key)
      .hset(key, 'code', code, 'attempts', 0)
      .expire(key, this.config.loginCodeTtlSeconds)
      .exec();
  }

  /** True when `code` is the live code of `phone`; the code is then spent. */
  async consume(phone: string, code: string): Promise<boolean> {
    const matched = await this.redis.consumeLoginCode(
      RedisKeys.loginCode(phone),
      code,
      MAX_CODE_ATTEMPTS,
    );
    return matched === 1;
  }
}
