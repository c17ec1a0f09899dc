import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * A configured secret (the admin token, the metrics token), checked in constant
 * time: digests of equal length are compared, so neither the secret's content
 * nor its length leaks through timing.
 */
export class Secret {
  private readonly digest: Buffer;

  constructor(value: string) {
    this.digest = sha256(value);
  }

  matches(given: unknown): boolean {
    return typeof given === 'string' && timingSafeEqual(sha256(given), this.digest);
  }
}
