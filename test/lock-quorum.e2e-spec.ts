import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../src/common/domain-error';
import { LockService } from '../src/lock/lock.service';
import { RedisKeys } from '../src/redis/redis-keys';
import { RedisServerProcess } from './support/redis-server';
import {
  createSeckillVoucher,
  ordersOf,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';

/** The product's promise for an outage: 503 "within about a second" (DEPENDENCY_TIMEOUT_MS 1 s). */
const OUTAGE_ANSWER_MS = 1500;
/** How long the lock clients may take to notice by themselves that a master is back. */
const RECOVERY_MS = 5000;
const LEASE = { leaseMs: 5_000 };

/**
 * REDIS_LOCK_URLS with three throw-away redis-server processes: a lock is held
 * when two of them granted it. Sessions, caches and ids stay on REDIS_URL.
 */
describe('locks on a quorum of three masters (e2e)', () => {
  let masters: RedisServerProcess[];
  let raws: Redis[];
  let t: TestApp;
  let locks: LockService;
  const saved = process.env.REDIS_LOCK_URLS;

  const freshKey = () => `lock:test:${randomUUID()}`;
  const onMasters = (key: string) => Promise.all(raws.map((raw) => raw.exists(key)));
  /**
   * redlock answers once a majority has voted; the last master's write lands a moment
   * later. Polls until `key` exists exactly on the masters `expected` names (or 1 s).
   */
  async function settledOnMasters(key: string, expected: number[]): Promise<number[]> {
    const deadline = performance.now() + 1000;
    let seen = await onMasters(key);
    while (JSON.stringify(seen) !== JSON.stringify(expected) && performance.now() < deadline) {
      await sleep(10);
      seen = await onMasters(key);
    }
    return seen;
  }
  const order = (voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', token).timeout(5000);

  async function unavailableAttempts(): Promise<number> {
    const res = await t.api.get('/metrics').expect(200);
    return Number(/^lock_attempts_total\{outcome="unavailable"\} (\d+)/m.exec(res.text)?.[1] ?? 0);
  }

  beforeAll(async () => {
    masters = await Promise.all([0, 1, 2].map(() => RedisServerProcess.start()));
    // A client per master for the test's own reads; they reconnect after a restart.
    raws = masters.map((master) => {
      const raw = new Redis(master.url, { maxRetriesPerRequest: 1 });
      raw.on('error', () => undefined);
      return raw;
    });
    process.env.REDIS_LOCK_URLS = masters.map((master) => master.url).join(',');
    t = await startTestApp();
    locks = t.app.get(LockService);
  });

  afterAll(async () => {
    for (const master of masters ?? []) master.resume();
    await t?.close();
    for (const raw of raws ?? []) raw.disconnect();
    await Promise.all((masters ?? []).map((master) => master.stop()));
    if (saved === undefined) delete process.env.REDIS_LOCK_URLS;
    else process.env.REDIS_LOCK_URLS = saved;
  });

  it('writes a lock on every master and deletes it from every master', async () => {
    const key = freshKey();
    const held = await locks.tryLock(key, LEASE);

    expect(await settledOnMasters(key, [1, 1, 1])).toEqual([1, 1, 1]);
    expect(await t.redis.exists(key)).toBe(0);
    await held!.release();
    expect(await settledOnMasters(key, [0, 0, 0])).toEqual([0, 0, 0]);
  });

  it('is refused when someone else holds the key on two masters', async () => {
    const key = freshKey();
    await raws[0].set(key, 'someone-else', 'PX', 10_000);
    await raws[2].set(key, 'someone-else', 'PX', 10_000);

    expect(await locks.tryLock(key, LEASE)).toBeUndefined();
    // Nothing of ours is left behind on the master that had granted it.
    expect(await settledOnMasters(key, [1, 0, 1])).toEqual([1, 0, 1]);
  });

  it('is granted when someone else holds the key on one master only, and leaves that key alone', async () => {
    const key = freshKey();
    await raws[1].set(key, 'someone-else', 'PX', 10_000);

    const held = await locks.tryLock(key, LEASE);

    expect(held).toBeDefined();
    await held!.release();
    expect(await raws[1].get(key)).toBe('someone-else');
    expect(await settledOnMasters(key, [0, 1, 0])).toEqual([0, 1, 0]);
  });

  it('gives a hot user exactly one order (100 concurrent requests)', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });

    const answers = await Promise.all(
      Array.from({ length: 100 }, () => order(voucherId, shopper.token)),
    );

    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    for (const res of answers.filter((answer) => answer.status !== 201)) {
      expect(res.status).toBe(409);
      expect(['DUPLICATE_ORDER', 'ALREADY_PURCHASED']).toContain(res.body.code);
    }
    expect(await ordersOf(t, voucherId)).toHaveLength(1);
    expect(await stockOf(t, voucherId)).toBe(9);
    expect(await settledOnMasters(RedisKeys.orderLock(shopper.id), [0, 0, 0])).toEqual([0, 0, 0]);
  });

  describe('outages', () => {
    let token: string;
    let voucherId: number;

    beforeAll(async () => {
      [{ token }] = await signInShoppers(t, 1);
      voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    });

    it('works with one master down', async () => {
      await masters[0].kill();

      const key = freshKey();
      const held = await locks.tryLock(key, LEASE);
      expect(held).toBeDefined();
      expect(await raws[1].exists(key)).toBe(1);
      expect(await raws[2].exists(key)).toBe(1);
      expect(await locks.tryLock(key, LEASE)).toBeUndefined(); // still exclusive
      await held!.release();
    });

    it('answers 503 quickly with two masters down, never "duplicate order"', async () => {
      await masters[1].kill();
      const unavailableBefore = await unavailableAttempts();

      let started = performance.now();
      await expect(locks.tryLock(freshKey(), LEASE)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(performance.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);

      // lock() does not wait out an outage either.
      started = performance.now();
      await expect(locks.lock(freshKey(), { ...LEASE, waitMs: 10_000 })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(performance.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);

      started = performance.now();
      const res = await order(voucherId, token);
      expect(performance.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
      expect(await stockOf(t, voucherId)).toBe(10);
      expect(await unavailableAttempts()).toBe(unavailableBefore + 3);
    });

    it('works again once the masters are back, without a restart of the service', async () => {
      await masters[0].restart();
      await masters[1].restart();

      // Until the lock lives on all three again: the clients reconnected by themselves.
      const started = performance.now();
      for (;;) {
        const key = freshKey();
        const held = await locks.tryLock(key, LEASE).catch(() => undefined);
        const everywhere =
          held && (await settledOnMasters(key, [1, 1, 1])).every((exists) => exists === 1);
        await held?.release();
        if (everywhere) break;
        if (performance.now() - started > RECOVERY_MS) throw new Error('locks did not recover');
        await sleep(100);
      }
      await order(voucherId, token).expect(201);
    });

    it('is not stalled by hung masters (SIGSTOP): one is outvoted, two answer 503 in time', async () => {
      masters[2].pause();
      try {
        let started = performance.now();
        const held = await locks.tryLock(freshKey(), LEASE);
        expect(held).toBeDefined();
        expect(performance.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);
        await held!.release();

        masters[1].pause();
        started = performance.now();
        await expect(locks.tryLock(freshKey(), LEASE)).rejects.toBeInstanceOf(
          DependencyUnavailableError,
        );
        expect(performance.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);
      } finally {
        masters[1].resume();
        masters[2].resume();
      }
    });
  });

  it('starts with a master down, and takes it back into the quorum when it comes up', async () => {
    await masters[0].kill();
    const second = await startTestApp();
    try {
      const secondLocks = second.app.get(LockService);
      const key = freshKey();
      const held = await secondLocks.tryLock(key, LEASE);
      expect(held).toBeDefined();
      expect(await locks.tryLock(key, LEASE)).toBeUndefined(); // one quorum for both instances
      await held!.release();

      await masters[0].restart();
      const started = performance.now();
      for (;;) {
        const probe = freshKey();
        const probeHeld = await secondLocks.tryLock(probe, LEASE);
        await sleep(20); // the third vote may land just after the majority's answer
        const onFirst = await raws[0].exists(probe);
        await probeHeld?.release();
        if (onFirst === 1) break;
        if (performance.now() - started > RECOVERY_MS) throw new Error('master 0 not back');
        await sleep(100);
      }
    } finally {
      await second.close();
    }
  });
});
