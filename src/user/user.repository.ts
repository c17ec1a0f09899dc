import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** First login creates the user. */
  async findOrCreateByPhone(phone: string, nickName: string): Promise<User> {
    const [user] = await this.findOrCreateManyByPhone([{ phone, nickName }]);
    return user;
  }

  /**
   * Many users at once (load tests); returns them in the order of `entries`.
   * INSERT IGNORE makes two racing first logins of one phone safe.
   */
  async findOrCreateManyByPhone(
    entries: readonly { phone: string; nickName: string }[],
  ): Promise<User[]> {
    if (entries.length === 0) return [];
    await this.users
      .createQueryBuilder()
      .insert()
      .orIgnore()
      .values(entries.map(({ phone, nickName }) => ({ phone, nickName, icon: '' })))
      .updateEntity(false)
      .execute();
    const found = await this.users
      .createQueryBuilder('user')
      .where('user.phone IN (:...phones)', { phones: entries.map((entry) => entry.phone) })
      .getMany();
    const byPhone = new Map(found.map((user) => [user.phone, user]));
    return entries.map((entry) => byPhone.get(entry.phone)!);
  }
}
