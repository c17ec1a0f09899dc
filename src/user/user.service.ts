import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LoginCodeStore } from './login-code.store';
import { SessionStore } from './session.store';
import { Shopper } from './shopper';
import { InvalidCodeError } from './user.errors';
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
  ) {}

  sendLoginCode(phone: string): Promise<string> {
    return this.codes.issue(phone);
  }

  /** Verifies the one-time code, registers the phone on first login, returns a token. */
  async login(phone: string, code: string): Promise<string> {
    if (!(await this.codes.consume(phone, code))) throw new InvalidCodeError();
    return this.signIn(phone);
  }

  /** What login does once the code is verified. */
  async signIn(phone: string): Promise<string> {
    const user = await this.users.findOrCreateByPhone(phone, newNickName());
    return this.sessions.create(toShopper(user));
  }

  /** signIn for many phones in a few round trips; tokens come back in the order of `phones`. */
  async signInMany(phones: readonly string[]): Promise<{ shopper: Shopper; token: string }[]> {
    const users = await this.users.findOrCreateManyByPhone(
      phones.map((phone) => ({ phone, nickName: newNickName() })),
    );
    const shoppers = users.map(toShopper);
    const tokens = await this.sessions.createMany(shoppers);
    return shoppers.map((shopper, i) => ({ shopper, token: tokens[i] }));
  }

  authenticate(token: string): Promise<Shopper | undefined> {
    return this.sessions.find(token);
  }
}
