import type { RowDataPacket } from 'mysql2';
import { Connection, createConnection } from 'mysql2/promise';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BuiltService,
  productionEnv,
  RunningService,
  waitUntilServing,
} from './support/built-service';
import { freePort } from './support/free-port';
import { RawHttpConnection } from './support/raw-http';
import {
  ADMIN_TOKEN,
  seckillVoucherBody,
  signInShoppers,
  startTestApp,
  TestApp,
} from './support/test-app';
import { testMysql } from './support/test-settings';

/** What a balancer sees of the service: a GET /health on a new connection. */
function healthStatus(port: number): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', () => resolve('refused'));
    socket.once('connect', () => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.once('data', (chunk: Buffer) => {
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString())?.[1] ?? 0));
        socket.destroy();
      });
      socket.once('close', () => resolve('refused'));
    });
  });
}

/**
 * SIGTERM on the built service, as an orchestrator sends it. A request is kept
 * in flight for real: the test holds the voucher's stock row locked in MySQL
 * (SELECT ... FOR UPDATE) while an order waits for it.
 */
describe('shutdown on SIGTERM (e2e, built service)', () => {
  let built: BuiltService | undefined;
  let t: TestApp;
  let rowLock: Connection;
  const open: RawHttpConnection[] = [];

  beforeAll(async () => {
    built = await BuiltService.build();
    // In-process, for the test's own set-up only (sign-in, reading MySQL).
    t = await startTestApp();
    rowLock = await createConnection({ ...testMysql(), database: process.env.DB_NAME });
  }, 120_000);

  afterEach(async () => {
    // Whatever happened, the stock row is free again (a no-op without a transaction).
    await rowLock.rollback();
  });

  afterAll(async () => {
    for (const connection of open) connection.destroy();
    await rowLock?.end();
    await t?.close();
    built?.dispose();
  });

  async function startService(overrides: Record<string, string>) {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = built!.start(productionEnv(port, overrides));
    await waitUntilServing(service, baseUrl);
    return { service, port, baseUrl };
  }

  async function connection(port: number): Promise<RawHttpConnection> {
    const opened = await RawHttpConnection.open(port);
    open.push(opened);
    return opened;
  }

  async function createVoucher(baseUrl: string): Promise<number> {
    const res = await fetch(`${baseUrl}/voucher/seckill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-token': ADMIN_TOKEN },
      body: JSON.stringify(seckillVoucherBody({ stock: 5 })),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { data: number }).data;
  }

  /** Locks the voucher's stock row until release(), as a long transaction elsewhere would. */
  async function lockStockRow(voucherId: number): Promise<{ release(): Promise<void> }> {
    await rowLock.beginTransaction();
    await rowLock.query('SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ? FOR UPDATE', [
      voucherId,
    ]);
    return { release: () => rowLock.rollback() };
  }

  /**
   * Resolves once the order's stock update runs, which the row lock keeps waiting.
   * (PROCESSLIST, not INNODB_TRX: InnoDB does not refresh that view for a
   * reader that polls it more often than every 100 ms.)
   */
  async function waitForBlockedUpdate(): Promise<void> {
    const deadline = performance.now() + 5000;
    for (;;) {
      const [rows] = await rowLock.query<RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
          WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query'
            AND INFO LIKE 'UPDATE tb_seckill_voucher%'`,
      );
      if (Number(rows[0].n) > 0) return;
      if (performance.now() > deadline) throw new Error('the order never reached the stock row');
      await sleep(20);
    }
  }

  async function waitForOutput(service: RunningService, text: string): Promise<number> {
    const deadline = performance.now() + 5000;
    while (!service.output().includes(text)) {
      if (performance.now() > deadline) throw new Error(`no "${text}" in:\n${service.output()}`);
      await sleep(5);
    }
    return performance.now();
  }

  it('stops answering /health, closes idle keep-alive connections, lets the request in flight finish, then exits 0', async () => {
    const { service, port, baseUrl } = await startService({ DEPENDENCY_TIMEOUT_MS: '5000' });
    const voucherId = await createVoucher(baseUrl);
    const [shopper] = await signInShoppers(t, 1);

    // A keep-alive connection that has served a request and now idles.
    const idle = await connection(port);
    idle.send('GET', '/health');
    expect((await idle.nextResponse()).status).toBe(200);
    // A connection opened ahead of time that has not sent anything.
    const silent = await connection(port);
    // A request whose headers are still arriving when the signal comes.
    const arriving = await connection(port);
    arriving.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // An order that is in flight: its transaction waits for the stock row.
    const stockRow = await lockStockRow(voucherId);
    const slow = await connection(port);
    slow.send('POST', `/voucher-order/seckill/${voucherId}`, {
      authorization: `Bearer ${shopper.token}`,
    });
    await waitForBlockedUpdate();

    const signalled = performance.now();
    service.kill('SIGTERM');
    await waitForOutput(service, 'SIGTERM: draining');

    // A balancer's health check gets no 200 from now on.
    expect([503, 'refused']).toContain(await healthStatus(port));
    const arrived = arriving.nextResponse();
    arriving.write('\r\n');
    const refused = await arrived;
    expect(refused.status).toBe(503);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toEqual({
      success: false,
      code: 'SHUTTING_DOWN',
      errorMsg: 'this instance is shutting down, retry',
    });
    // Idle keep-alive connections are closed at once, while the order still waits.
    const idleClosed = await Promise.race([
      Promise.all([idle.closed, silent.closed]),
      sleep(2000).then(() => undefined),
    ]);
    expect(idleClosed).toBeDefined();
    expect(Math.max(...idleClosed!) - signalled).toBeLessThan(1000);
    expect(slow.isClosed).toBe(false);
    expect(service.output()).not.toContain('drained; exiting');

    // The transaction in the way ends; the order in flight completes and is answered.
    await sleep(300);
    const released = performance.now();
    await stockRow.release();
    const ordered = await slow.nextResponse();
    expect(ordered.status).toBe(201);
    expect(ordered.headers.connection).toBe('close');
    const orderId = (JSON.parse(ordered.body) as { data: string }).data;
    await slow.closed;

    const run = await service.exited;
    expect(run.code).toBe(0);
    expect(performance.now() - released).toBeLessThan(3000);
    expect(run.output).toContain('drained; exiting');
    const [row] = await t.db.query<{ user_id: string }[]>(
      'SELECT CAST(user_id AS CHAR) AS user_id FROM tb_voucher_order WHERE id = ?',
      [orderId],
    );
    expect(row).toEqual({ user_id: String(shopper.id) });
  });

  it('cuts a request that outlives SHUTDOWN_TIMEOUT_MS and exits by then, however many sockets are open', async () => {
    const timeoutMs = 1500;
    const { service, port, baseUrl } = await startService({
      SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
      DEPENDENCY_TIMEOUT_MS: '10000',
    });
    const voucherId = await createVoucher(baseUrl);
    const [shopper] = await signInShoppers(t, 1);
    const idle = await connection(port);
    idle.send('GET', '/health');
    await idle.nextResponse();
    await lockStockRow(voucherId);
    const slow = await connection(port);
    slow.send('POST', `/voucher-order/seckill/${voucherId}`, {
      authorization: `Bearer ${shopper.token}`,
    });
    await waitForBlockedUpdate();

    const signalled = performance.now();
    service.kill('SIGTERM');
    const run = await service.exited;
    const exitedAfter = performance.now() - signalled;

    expect(run.code).toBe(1);
    expect(exitedAfter).toBeGreaterThan(timeoutMs - 100);
    expect(exitedAfter).toBeLessThan(timeoutMs + 1000);
    expect(run.output).toContain('SHUTDOWN_TIMEOUT_MS');
    await expect(slow.nextResponse(1000)).rejects.toThrow(/closed the connection/);
    expect(idle.isClosed).toBe(true);
  });
});
