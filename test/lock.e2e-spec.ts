import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../src/common/domain-error';
import { HeldLock } from '../src/lock/held-lock';
import { LockWaitTimeoutError } from '../src/lock/lock.errors';
import { LockService } from '../src/lock/lock.service';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeys } from '../src/redis/redis-keys';
import { runCounterWorkers } from './support/lock-counter';
import { RedisServerProcess } from './support/redis-server';
import { startTestApp, TestApp } from './support/test-app';

/** Commands of a lock attempt take ~1 ms here; the margin absorbs a busy 2-core machine. */
const MARGIN_MS = 250;

/**
 * The lock API against a real Redis: a redis-server of this file's own (so it can
 * be paused, killed and its command counts read), named as the one lock master by
 * REDIS_LOCK_URLS; the app itself runs on the shared test Redis as usual.
 */
describe('locks (e2e, a private redis-server as the lock master)', () => {
  let master: RedisServerProcess;
  let raw: Redis;
  let t: TestApp;
  let locks: LockService;
  const saved = { urls: process.env.REDIS_LOCK_URLS, timeout: process.env.DEPENDENCY_TIMEOUT_MS };

  /** A key no other test uses. */
  const freshKey = () => `lock:test:${randomUUID()}`;

  /** evalsha + eval calls the master has served: every lock write goes through a script. */
  async function scriptCalls(): Promise<number> {
    const stats = await raw.info('commandstats');
    return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce(
      (sum, [, calls]) => sum + Number(calls),
      0,
    );
  }

  async function metric(pattern: RegExp): Promise<number> {
    const res = await t.api.get('/metrics').expect(200);
    const match = pattern.exec(res.text);
    return match ? Number(match[1]) : 0;
  }

  beforeAll(async () => {
    master = await RedisServerProcess.start();
    raw = new Redis(master.url);
    process.env.REDIS_LOCK_URLS = master.url;
    // Short command timeouts (200 ms) so a paused master shows within short leases.
    process.env.DEPENDENCY_TIMEOUT_MS = '400';
    t = await startTestApp();
    locks = t.app.get(LockService);
  });

  afterAll(async () => {
    master?.resume();
    await t?.close();
    raw?.disconnect();
    await master?.stop();
    for (const [name, value] of [
      ['REDIS_LOCK_URLS', saved.urls],
      ['DEPENDENCY_TIMEOUT_MS', saved.timeout],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('keeps locks on the lock master, not on REDIS_URL', async () => {
    const key = freshKey();
    const held = await locks.tryLock(key, { leaseMs: 5_000 });

    expect(await raw.exists(key)).toBe(1);
    expect(await t.redis.exists(key)).toBe(0);
    await held!.release();
    expect(await raw.exists(key)).toBe(0);
  });

  it("takes an async seckill's order lock on the lock master (SISMEMBER, then tryLock), not by a script on REDIS_URL", async () => {
    const userId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const key = RedisKeys.orderLock(userId);

    const lock = await t.app.get(AsyncSeckillState).lockUnlessBuyer(123_456, userId, 5_000);

    // No value handed to the admission script: it could not release a key on another server.
    expect(lock).toEqual({ held: expect.any(HeldLock) });
    expect(await raw.exists(key)).toBe(1);
    expect(await t.redis.exists(key)).toBe(0);
    if (lock && lock !== 'already-purchased') await lock.held.release();
    expect(await raw.exists(key)).toBe(0);
  });

  describe('a GET + SET counter incremented by 4 processes at once', () => {
    const run = (mode: 'locked' | 'unlocked', counterKey: string) =>
      runCounterWorkers({
        redisUrl: master.url,
        lockKey: freshKey(),
        counterKey,
        processes: 4,
        increments: 25,
        mode,
      });

    it('ends exact under lock()', async () => {
      const counterKey = `counter:${randomUUID()}`;
      await run('locked', counterKey);
      expect(Number(await raw.get(counterKey))).toBe(100);
    });

    it('loses updates without the lock (so the test above can fail)', async () => {
      const counterKey = `counter:${randomUUID()}`;
      await run('unlocked', counterKey);
      expect(Number(await raw.get(counterKey))).toBeLessThan(100);
    });
  });

  it('lets the next holder in when the lease of an abandoned lock runs out', async () => {
    const key = freshKey();
    const first = await locks.tryLock(key, { leaseMs: 600 });
    first!.abandon();

    expect(await raw.pttl(key)).toBeGreaterThan(0);
    expect(await locks.tryLock(key, { leaseMs: 600 })).toBeUndefined();
    await sleep(300);
    // The watchdog is stopped: nothing renews the lease.
    expect(await locks.tryLock(key, { leaseMs: 600 })).toBeUndefined();
    await sleep(400);

    const next = await locks.tryLock(key, { leaseMs: 600 });
    expect(next).toBeDefined();
    await next!.release();
  });

  it('lets no one but the owner renew or delete the key', async () => {
    const key = freshKey();
    const held = await locks.tryLock(key, { leaseMs: 3_000 });
    const lostBefore = await metric(/^lock_lost_total (\d+)/m);
    // Someone else's value in the key, as after an expiry and another holder's acquire.
    await raw.set(key, 'another-holder', 'PX', 10_000);

    // The watchdog's renewal (at 2,000 ms) is refused: the holder learns at once that
    // it lost the lock, well before its own lease would have run out (3,000 ms).
    const outcome = await Promise.race([
      held!.lost.then(() => 'lost'),
      sleep(2_000 + MARGIN_MS).then(() => 'still held'),
    ]);
    expect(outcome).toBe('lost');
    expect(held!.signal.aborted).toBe(true);
    expect(await metric(/^lock_lost_total (\d+)/m)).toBe(lostBefore + 1);
    // Not renewed by the old owner (a renewal would have set it to its 3,000 ms lease).
    expect(await raw.pttl(key)).toBeGreaterThan(5_000);

    await held!.release();
    expect(await raw.get(key)).toBe('another-holder'); // not deleted by the old owner
  });

  describe('reentrancy', () => {
    it('counts holds of one chain without touching Redis; the key goes at zero', async () => {
      const key = freshKey();
      await locks.withLock(key, { leaseMs: 5_000 }, async (outer) => {
        const writes = await scriptCalls();
        const value = await raw.get(key);

        const second = await locks.tryLock(key, { leaseMs: 5_000 });
        const third = await locks.lock(key, { leaseMs: 5_000, waitMs: 1_000 });
        await locks.withLock(key, { leaseMs: 5_000 }, async (fourth) => {
          expect(fourth.key).toBe(key);
          await fourth.release(); // withLock's own release afterwards counts once, not twice
        });
        expect(second).toBeDefined();
        expect(await scriptCalls()).toBe(writes);
        expect(await raw.get(key)).toBe(value);

        await second!.release();
        await third.release();
        expect(await raw.get(key)).toBe(value);
        expect(outer.key).toBe(key);
      });

      expect(await raw.exists(key)).toBe(0);
    });

    it('refuses another request (another chain) of the same user while held', async () => {
      const key = freshKey();
      let outsider: HeldLock | undefined | 'not asked' = 'not asked';
      let release!: () => void;
      const holding = locks.withLock(
        key,
        { leaseMs: 5_000 },
        () => new Promise<void>((resolve) => (release = resolve)),
      );
      while ((await raw.exists(key)) === 0) await sleep(5);

      const contendedBefore = await metric(/^lock_attempts_total\{outcome="contended"\} (\d+)/m);
      outsider = await locks.tryLock(key, { leaseMs: 5_000 });
      expect(await metric(/^lock_attempts_total\{outcome="contended"\} (\d+)/m)).toBe(
        contendedBefore + 1,
      );
      release();
      await holding;

      expect(outsider).toBeUndefined();
      expect(await raw.exists(key)).toBe(0);
    });
  });

  describe('lock() waiting', () => {
    it('gives up within waitMs plus a small margin', async () => {
      const key = freshKey();
      const holder = await locks.tryLock(key, { leaseMs: 5_000 });
      const timedOutBefore = await metric(/^lock_attempts_total\{outcome="wait_timeout"\} (\d+)/m);
      const timedBefore = await metric(/^lock_acquire_duration_seconds_count (\d+)/m);
      const started = performance.now();

      const error = await locks
        .lock(key, { leaseMs: 5_000, waitMs: 500 })
        .catch((caught: unknown) => caught);

      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(LockWaitTimeoutError);
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThan(500 + MARGIN_MS);
      expect(await metric(/^lock_attempts_total\{outcome="wait_timeout"\} (\d+)/m)).toBe(
        timedOutBefore + 1,
      );
      expect(await metric(/^lock_acquire_duration_seconds_count (\d+)/m)).toBe(timedBefore + 1);
      await holder!.release();
    });

    it('gets the lock soon after the holder releases during the wait', async () => {
      const key = freshKey();
      const holder = await locks.tryLock(key, { leaseMs: 5_000 });
      const started = performance.now();
      setTimeout(() => void holder!.release(), 300);

      const held = await locks.lock(key, { leaseMs: 5_000, waitMs: 3_000 });

      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(300 + MARGIN_MS);
      await held.release();
    });
  });

  describe('the watchdog', () => {
    it('keeps a lock through three lease lengths of work', async () => {
      const key = freshKey();
      const held = await locks.tryLock(key, { leaseMs: 600 });
      const value = await raw.get(key);

      for (let elapsed = 0; elapsed < 2_000; elapsed += 200) {
        await sleep(200);
        expect(await raw.get(key)).toBe(value);
      }

      expect(held!.signal.aborted).toBe(false);
      await held!.release();
      expect(await raw.exists(key)).toBe(0);
    });

    it('survives a Redis pause (CLIENT PAUSE) shorter than the lease left, by retrying', async () => {
      const key = freshKey();
      const lease = 1_500;
      const failedBefore = await metric(/^lock_renewals_total\{outcome="failed"\} (\d+)/m);
      const held = await locks.tryLock(key, { leaseMs: lease });
      const value = await raw.get(key);

      // The renewal is due at 1,000 ms (a third left); Redis answers nothing from 950
      // to 1,350 ms, so the renewal times out (200 ms) and must be retried in time.
      await sleep(950);
      await raw.call('CLIENT', 'PAUSE', '400', 'ALL');
      await sleep(600);
      expect(await metric(/^lock_renewals_total\{outcome="failed"\} (\d+)/m)).toBeGreaterThan(
        failedBefore,
      );

      // Three more leases: a watchdog that gave up after the failure would have lost it.
      for (let elapsed = 0; elapsed < 3 * lease; elapsed += 250) {
        await sleep(250);
        expect(await raw.get(key)).toBe(value);
      }
      expect(held!.signal.aborted).toBe(false);
      await held!.release();
    });

    it('reports the lock lost once the lease has run out with Redis gone, not before', async () => {
      const key = freshKey();
      const held = await locks.tryLock(key, { leaseMs: 1_000 });
      const acquiredAt = performance.now();
      await master.kill();
      try {
        await held!.lost;
        const lostAfter = performance.now() - acquiredAt;
        expect(lostAfter).toBeGreaterThanOrEqual(1_000 - 20); // validity: lease minus drift
        expect(lostAfter).toBeLessThan(1_000 + MARGIN_MS);
        expect(held!.signal.aborted).toBe(true);
        await expect(held!.release()).resolves.toBeUndefined();

        // And while the master is down, an attempt is a quick 503, never "held".
        const started = performance.now();
        await expect(locks.tryLock(freshKey(), { leaseMs: 1_000 })).rejects.toBeInstanceOf(
          DependencyUnavailableError,
        );
        expect(performance.now() - started).toBeLessThan(400);
      } finally {
        await master.restart();
      }
    });
  });
});
