import { randomInt } from 'node:crypto';
import { UserService } from '../src/user/user.service';

/** How many shoppers one signInMany call registers: one INSERT, one SELECT, one MULTI. */
export const SIGN_IN_BATCH_SIZE = 1000;

/** Load-test phones start with 19; the e2e helpers use 13, so the two never meet. */
const PHONE_PREFIX = '19';
const PHONE_SUFFIX_DIGITS = 9;
const PHONE_SUFFIXES = 10 ** PHONE_SUFFIX_DIGITS;

export interface ShopperSession {
  id: number;
  phone: string;
  token: string;
}

/** `count` distinct phones from a random start, so that runs rarely reuse users. */
export function loadtestPhones(
  count: number,
  first = randomInt(0, PHONE_SUFFIXES - count),
): string[] {
  if (count > PHONE_SUFFIXES) throw new Error(`at most ${PHONE_SUFFIXES} shoppers`);
  return Array.from(
    { length: count },
    (_, i) => `${PHONE_PREFIX}${String(first + i).padStart(PHONE_SUFFIX_DIGITS, '0')}`,
  );
}

/**
 * Registers `count` shoppers and logs each one in, through UserService.signInMany:
 * the code path login takes once the code is checked (same rows, same session
 * hashes, same token lifetime), in batches. It is not reachable over HTTP.
 */
export async function prepareShoppers(
  users: UserService,
  count: number,
  onBatch?: (ready: number, total: number) => void,
): Promise<ShopperSession[]> {
  const phones = loadtestPhones(count);
  const sessions: ShopperSession[] = [];
  for (let start = 0; start < phones.length; start += SIGN_IN_BATCH_SIZE) {
    const batch = phones.slice(start, start + SIGN_IN_BATCH_SIZE);
    const signedIn = await users.signInMany(batch);
    signedIn.forEach(({ shopper, token }, i) =>
      sessions.push({ id: shopper.id, phone: batch[i], token }),
    );
    onBatch?.(sessions.length, count);
  }
  if (new Set(sessions.map((session) => session.id)).size !== sessions.length) {
    throw new Error('two phones signed in as the same user: shopper ids are not distinct');
  }
  return sessions;
}
