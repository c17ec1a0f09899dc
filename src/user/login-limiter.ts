import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError } from '../common/domain-error';
import { RetryLaterError } from '../common/retry-later.error';
import { authConfig, AuthConfig } from '../config/configuration';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { TooManyAttemptsError, TooManyCodeRequestsError } from './user.errors';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Login abuse limits, per phone, in Redis so that every instance shares the counts
 * (rate-limiter-flexible: one atomic INCR-with-expiry script per call, fixed windows
 * that start with the first count):
 * - wrong codes: LOGIN_MAX_FAILURES per LOGIN_FAILURE_WINDOW_SECONDS, whatever codes are
 *   issued meanwhile (re-issuing a code used to reset the guess budget);
 * - code requests: one per LOGIN_CODE_COOLDOWN_SECONDS, LOGIN_CODES_PER_DAY per 24 hours.
 * A Redis that cannot answer is a 503, as everywhere: no limit is skipped.
 */
@Injectable()
export class LoginLimiter {
  private readonly failures: RateLimiterRedis;
  private readonly cooldown: RateLimiterRedis;
  private readonly daily: RateLimiterRedis;

  constructor(@Inject(REDIS) redis: RedisClient, @Inject(authConfig.KEY) config: AuthConfig) {
    // keyPrefix '': the keys come whole from RedisKeys.
    const limiter = (points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: '',
        points,
        duration,
        rejectIfRedisNotReady: true,
      });
    this.failures = limiter(config.loginMaxFailures, config.loginFailureWindowSeconds);
    this.cooldown = limiter(1, config.loginCodeCooldownSeconds);
    this.daily = limiter(config.loginCodesPerDay, DAY_SECONDS);
  }

  /**
   * Counts a guess before the code is checked, so that guesses in flight at once cannot
   * overrun the budget; throws TooManyAttemptsError once the phone has used it up (the
   * right code included). A guess that turns out right is given back by returnLoginAttempt.
   */
  async takeLoginAttempt(phone: string): Promise<void> {
    await limited(
      this.failures.consume(RedisKeys.loginFailures(phone)),
      (seconds) => new TooManyAttemptsError(seconds),
    );
  }

  /**
   * Gives back a guess that was not wrong. (Should the window end between take and return,
   * this leaves a count of -1 for the next one: one extra guess, once.)
   */
  async returnLoginAttempt(phone: string): Promise<void> {
    await redisCall(this.failures.reward(RedisKeys.loginFailures(phone)));
  }

  /** Throws TooManyCodeRequestsError within the cooldown or past the day's count. */
  async takeCodeRequest(phone: string): Promise<void> {
    const tooMany = (seconds: number) => new TooManyCodeRequestsError(seconds);
    await limited(this.cooldown.consume(RedisKeys.loginCodeCooldown(phone)), tooMany);
    await limited(this.daily.consume(RedisKeys.loginCodesPerDay(phone)), tooMany);
  }

  /** Ends the cooldown early (the code could not be sent); the day's count is kept. */
  async liftCodeCooldown(phone: string): Promise<void> {
    await redisCall(this.cooldown.delete(RedisKeys.loginCodeCooldown(phone)));
  }
}

/** A refusal of the limiter becomes `refusal(Retry-After seconds)`; anything else is Redis failing. */
async function limited(
  consumption: Promise<RateLimiterRes>,
  refusal: (retryAfterSeconds: number) => RetryLaterError,
): Promise<void> {
  try {
    await consumption;
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      throw refusal(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
    throw new DependencyUnavailableError(['redis'], error);
  }
}

async function redisCall(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    throw new DependencyUnavailableError(['redis'], error);
  }
}
