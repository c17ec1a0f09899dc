import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { authConfig, AuthConfig } from '../config/configuration';
import { LockService } from '../lock/lock.service';
import { RedisKeys } from '../redis/redis-keys';
import { LOGIN_CODE_SENDER, LoginCodeSender } from './login-code.sender';
import { LoginCodeStore, newLoginCode } from './login-code.store';
import { LoginLimiter } from './login-limiter';
import { SessionStore } from './session.store';
import { Shopper } from './shopper';
import { InvalidCodeError, SessionRevokedError } from './user.errors';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

/** hm-dianping names new users `user_` + 10 random characters. */
export function newNickName(): string {
  return `user_${randomBytes(8).toString('base64url').slice(0, 10)}`;
}

function toShopper(user: User): Shopper {
  return { id: user.id, nickName: user.nickName, icon: user.icon };
}

@Injectable()
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly codes: LoginCodeStore,
    private readonly sessions: SessionStore,
    private readonly limits: LoginLimiter,
    @Inject(LOGIN_CODE_SENDER) private readonly sender: LoginCodeSender,
    private readonly locks: LockService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /**
   * Sends a fresh code to `phone` (within the phone's cooldown and daily count) and
   * returns it; only the controller decides whether the caller may see it. The code is
   * stored once it is on its way, so a code that could not be sent is never usable.
   */
  async sendLoginCode(phone: string): Promise<string> {
    await this.limits.takeCodeRequest(phone);
    const code = newLoginCode();
    const expiresAt = new Date(Date.now() + this.config.loginCodeTtlSeconds * 1000);
    try {
      await this.sender.send({ phone, code, expiresAt });
    } catch (error) {
      // The failure is ours, not the shopper's: they may ask again at once. The day's
      // count is kept, since a webhook that timed out may have sent the SMS after all.
      await this.limits.liftCodeCooldown(phone).catch(() => undefined);
      throw error;
    }
    await this.codes.store(phone, code);
    return code;
  }

  /** Verifies the one-time code, registers the phone on first login, returns a token. */
  async login(phone: string, code: string): Promise<string> {
    await this.limits.takeLoginAttempt(phone);
    let verified: boolean;
    try {
      verified = await this.codes.consume(phone, code);
    } catch (error) {
      await this.limits.returnLoginAttempt(phone).catch(() => undefined);
      throw error;
    }
    if (!verified) throw new InvalidCodeError();
    await this.limits.returnLoginAttempt(phone);
    return this.signIn(phone);
  }

  /** What login does once the code is verified. */
  async signIn(phone: string): Promise<string> {
    const user = await this.users.findOrCreateByPhone(phone, newNickName());
    return this.startSession(toShopper(user));
  }

  /** signIn for many phones in a few round trips; tokens come back in the order of `phones`. */
  async signInMany(phones: readonly string[]): Promise<{ shopper: Shopper; token: string }[]> {
    const users = await this.users.findOrCreateManyByPhone(
      phones.map((phone) => ({ phone, nickName: newNickName() })),
    );
    const shoppers = users.map(toShopper);
    // Under SINGLE_SESSION each user's swap takes that user's lock, as a login does; the
    // users of a batch do not wait for each other.
    const tokens = this.config.singleSession
      ? await Promise.all(shoppers.map((shopper) => this.startSession(shopper)))
      : await this.sessions.createMany(shoppers);
    return shoppers.map((shopper, i) => ({ shopper, token: tokens[i] }));
  }

  /** The token's shopper; undefined for an unknown or expired token. */
  async authenticate(token: string): Promise<Shopper | undefined> {
    const session = await this.sessions.find(token);
    if (session === 'revoked') throw new SessionRevokedError();
    return session;
  }

  /** Ends the caller's session (their other sessions, if any, go on). */
  async logout(shopper: Shopper, token: string): Promise<void> {
    if (!this.config.singleSession) return this.sessions.end(token);
    await this.locks.withLock(RedisKeys.loginLock(shopper.id), this.loginLockOptions(), () =>
      this.sessions.endCurrent(shopper.id, token),
    );
  }

  private startSession(shopper: Shopper): Promise<string> {
    if (!this.config.singleSession) return this.sessions.create(shopper);
    // Find the current session, revoke it, store the new one: under the user's lock, so
    // that two logins at the same moment cannot both keep their token. Per user: logins
    // of different users never wait for each other.
    return this.locks.withLock(RedisKeys.loginLock(shopper.id), this.loginLockOptions(), () =>
      this.sessions.replaceCurrent(shopper),
    );
  }

  private loginLockOptions(): { leaseMs: number; waitMs: number } {
    return { leaseMs: this.config.loginLockLeaseMs, waitMs: this.config.loginLockWaitMs };
  }
}
