import { SeckillVoucher } from '../src/voucher/seckill-voucher.entity';
import { DrainFigures, drainFigures, DrainResult, DrainWatch } from './drain';
import { assertLoopback, FireResult, fireRequests, PlannedRequest } from './load-generator';
import { LoadtestContext } from './loadtest.context';
import { isSuccess, parseEnvelope, RunStats, summarizeFire } from './run-summary';
import { AcknowledgedOrder, SaleVerdict, SeckillMode, verifySale } from './sale.verifier';
import { prepareShoppers, ShopperSession } from './shoppers';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:8081';

export interface FlashSaleOptions {
  url: string;
  users: number;
  stock: number;
  /** Concurrent orders each shopper sends. */
  repeat: number;
  connections: number;
  /** Wait for leftover lock leases to run out before judging them (see verifySale). */
  waitForLeases?: boolean;
  /** SECKILL_MODE of the service (default sync); async waits for the stream to drain. */
  mode?: SeckillMode;
  /** async: give up waiting when no order has been written for this long (default 30 s). */
  drainIdleTimeoutMs?: number;
  onPhase?: (phase: string) => void;
  onProgress?: (answered: number, total: number) => void;
  /** async: orders written (or dead-lettered) out of those accepted. */
  onDrainProgress?: (written: number, accepted: number) => void;
  /** Runs when every answer is in, before the drain and the checks (the bench restarts the service here). */
  afterFire?: () => Promise<void>;
}

/** Small sales are timed closely (the drain's end is a figure); big ones counted less often. */
const drainPollMs = (accepted: number) => (accepted > 20_000 ? 50 : 10);

/** How the accepted orders of an async sale reached MySQL. */
export interface SaleDrain extends Omit<DrainResult, 'samples'>, DrainFigures {
  /** From the last 202 answer to the look that found every order in MySQL. */
  lastAdmissionToDrainedMs?: number;
  /** Orders accepted (202) per second, from the first answer to the last 202. */
  admittedPerSecond: number;
  samples: DrainResult['samples'];
}

export interface FlashSaleResult {
  voucherId: number;
  users: number;
  stock: number;
  repeat: number;
  connections: number;
  stats: RunStats;
  acknowledged: number;
  mode: SeckillMode;
  /** async only. */
  drain?: SaleDrain;
  verdict: SaleVerdict;
}

export const DEFAULT_DRAIN_IDLE_TIMEOUT_MS = 30_000;

const VOUCHER_WINDOW_MS = 3_600_000;
/** Opened a minute ago, so that a clock a little behind the service's is still inside it. */
const VOUCHER_OPENED_AGO_MS = 60_000;

const adminPaths = { createSeckillVoucher: '/voucher/seckill' } as const;
export const shopperPaths = {
  me: '/user/me',
  seckillOrder: (voucherId: number) => `/voucher-order/seckill/${voucherId}`,
} as const;

async function call(
  url: string,
  path: string,
  init: RequestInit,
): Promise<{ status: number; body: ReturnType<typeof parseEnvelope> }> {
  const target = new URL(path, url);
  assertLoopback(target);
  const response = await fetch(target, init).catch((error: Error) => {
    const cause = (error.cause as { code?: string } | undefined)?.code ?? error.message;
    throw new Error(`cannot reach ${target.origin} (${cause}): is the service running there?`);
  });
  return { status: response.status, body: parseEnvelope(await response.text()) };
}

/** Through the admin API, as an operator would: a window open now, `stock` units. */
export async function createSaleVoucher(
  url: string,
  adminToken: string,
  stock: number,
): Promise<number> {
  const now = Date.now();
  const { status, body } = await call(url, adminPaths.createSeckillVoucher, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-admin-token': adminToken },
    body: JSON.stringify({
      shopId: 1,
      title: `loadtest ${new Date(now).toISOString()}`,
      payValue: 100,
      actualValue: 1000,
      stock,
      beginTime: new Date(now - VOUCHER_OPENED_AGO_MS).toISOString(),
      endTime: new Date(now + VOUCHER_WINDOW_MS).toISOString(),
    }),
  });
  if (status !== 201 || typeof body.data !== 'number') {
    throw new Error(
      `creating the voucher at ${url} answered ${status} ${body.code ?? ''}: ${body.errorMsg ?? ''}`,
    );
  }
  return body.data;
}

/**
 * The checks read MySQL and Redis directly, so this command and the service must
 * use the same ones; a mismatch would otherwise look like lost orders.
 */
async function assertSameStores(
  context: LoadtestContext,
  url: string,
  voucherId: number,
  shopper: ShopperSession,
): Promise<void> {
  const seckill = await context.dataSource.getRepository(SeckillVoucher).findOneBy({ voucherId });
  if (!seckill) {
    const database = String(context.dataSource.options.database);
    throw new Error(
      `voucher ${voucherId} created at ${url} is not in database ${database}: run this command with the service's DB_* settings`,
    );
  }
  const me = await call(url, shopperPaths.me, { headers: { authorization: shopper.token } });
  if (me.status !== 200 || (me.body.data as { id?: number } | undefined)?.id !== shopper.id) {
    throw new Error(
      `${url} answered ${me.status} to a token written to this command's Redis: run it with the service's REDIS_URL`,
    );
  }
}

export function planOrders(
  shoppers: readonly ShopperSession[],
  voucherId: number,
  repeat: number,
): PlannedRequest[] {
  const path = shopperPaths.seckillOrder(voucherId);
  // A shopper's `repeat` requests sit side by side, so they are sent at the same moment.
  return shoppers.flatMap((shopper) =>
    Array.from({ length: repeat }, () => ({
      method: 'POST' as const,
      path,
      shopperId: shopper.id,
      token: shopper.token,
    })),
  );
}

/**
 * One simulated flash sale against a running service: a new voucher, `users`
 * new shoppers, `repeat` concurrent orders from each, then every invariant
 * checked against MySQL and Redis.
 */
export async function runFlashSale(
  context: LoadtestContext,
  options: FlashSaleOptions,
): Promise<FlashSaleResult> {
  assertLoopback(new URL(options.url));
  options.onPhase?.(`creating a voucher with stock ${options.stock}`);
  const voucherId = await createSaleVoucher(options.url, context.adminToken, options.stock);

  options.onPhase?.(`signing in ${options.users} shoppers`);
  const shoppers = await prepareShoppers(context.users, options.users);
  await assertSameStores(context, options.url, voucherId, shoppers[0]);

  const planned = planOrders(shoppers, voucherId, options.repeat);
  options.onPhase?.(
    `sending ${planned.length} orders over ${Math.min(options.connections, planned.length)} connections`,
  );
  const mode = options.mode ?? 'sync';
  // Counting starts before the first order: the drain's end may come before the last answer.
  const watch =
    mode === 'async'
      ? new DrainWatch(
          context.dataSource,
          context.redis,
          voucherId,
          context.asyncSeckill.shardCount,
          drainPollMs(options.stock),
        )
      : undefined;
  let fire: FireResult;
  try {
    fire = await fireRequests(options.url, planned, {
      connections: options.connections,
      onProgress: options.onProgress,
    });
    await options.afterFire?.();
  } catch (error) {
    await watch?.stop();
    throw error;
  }

  const successes = fire.answers.filter((answer) => isSuccess(answer.status));
  const acknowledged: AcknowledgedOrder[] = successes.map((answer) => ({
    userId: answer.request.shopperId,
    orderId: String(parseEnvelope(answer.body).data),
  }));
  let drain: SaleDrain | undefined;
  if (watch) {
    options.onPhase?.(
      `waiting for the stream writers to put ${acknowledged.length} accepted orders in MySQL`,
    );
    const waited = await watch.until(acknowledged.length, {
      idleTimeoutMs: options.drainIdleTimeoutMs ?? DEFAULT_DRAIN_IDLE_TIMEOUT_MS,
      startedAt: fire.startedAt,
      onProgress: options.onDrainProgress,
    });
    const acceptedAtMs = fire.samples
      .filter((sample) => isSuccess(sample.status))
      .map((sample) => sample.atMs);
    const lastAcceptedAt = acceptedAtMs.reduce((last, at) => Math.max(last, at), 0);
    const firstAnswerAt = fire.samples.reduce((first, s) => Math.min(first, s.atMs), Infinity);
    drain = {
      ...waited,
      ...drainFigures(waited.samples, acceptedAtMs),
      lastAdmissionToDrainedMs:
        waited.drainedAtMs === undefined || acknowledged.length === 0
          ? undefined
          : Math.max(0, Math.round(waited.drainedAtMs - lastAcceptedAt)),
      // From the first answer: before it the connections were being opened.
      admittedPerSecond:
        lastAcceptedAt > firstAnswerAt
          ? Math.round((acknowledged.length * 1000) / (lastAcceptedAt - firstAnswerAt))
          : 0,
    };
  }

  options.onPhase?.('verifying against MySQL and Redis');
  const verdict = await verifySale(
    context.dataSource,
    context.redis,
    {
      voucherId,
      initialStock: options.stock,
      shopperIds: shoppers.map((shopper) => shopper.id),
      acknowledged,
      lockLeaseMs: context.orderLockLeaseMs,
      mode,
      acknowledgedStatuses: successes.map((answer, i) => [acknowledged[i].orderId, answer.status]),
      drain: drain && {
        drained: drain.drained,
        // From the last answer: negative when the writers were done before the crowd was.
        waitedMs: Math.round(
          (drain.drainedAtMs ?? drain.samples[drain.samples.length - 1]?.atMs ?? 0) -
            fire.durationMs,
        ),
      },
    },
    { waitForLeases: options.waitForLeases, stream: context.asyncSeckill },
  );
  return {
    voucherId,
    users: options.users,
    stock: options.stock,
    repeat: options.repeat,
    connections: options.connections,
    stats: summarizeFire(fire, planned.length),
    acknowledged: acknowledged.length,
    mode,
    drain,
    verdict,
  };
}
