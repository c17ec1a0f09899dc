import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import * as mysql2 from 'mysql2';
import { DataSource } from 'typeorm';
import { DependencyUnavailableError } from '../common/domain-error';
import { databaseConfig, DatabaseConfig } from '../config/configuration';
import { sessionSettingsSql, withSessionSettings } from './session-settings';

/** A pool of its own for KILL and lookups; provided only by tests, built from the config otherwise. */
export const MYSQL_CONTROL_POOL = Symbol('MYSQL_CONTROL_POOL');

/** How to learn whether an interrupted call took effect. */
export interface EffectLookup {
  /**
   * Read on the call's own connection once the call has ended: one row with
   * `started` and `done` (1 or 0), whether it began and finished committing
   * (session variables it sets). Touches no table, so no lock can stall it.
   */
  progress: { sql: string; params: unknown[] };
  /** A statement whose result says whether the call took effect: a row means it did. */
  effect: { sql: string; params: unknown[] };
}

/**
 * What became of a call:
 * - `answered`: the server answered it (rows of its result);
 * - `took-effect`: it did not answer in time, and the lookup, run once nothing
 *   of it could run any more, found its effect;
 * - `unknown`: MySQL could not be asked in time; it may take effect or not.
 * When it certainly took no effect, call() rejects instead: with
 * DependencyUnavailableError (503), or with the server's own error.
 */
export type CallOutcome<T> =
  { kind: 'answered'; rows: T } | { kind: 'took-effect' } | { kind: 'unknown'; cause: unknown };

type Settled = { ok: true; rows: unknown } | { ok: false; error: unknown };

/** Thrown inside call() once it is certain that the call took no effect; carries what to reject with. */
class NoEffect extends Error {
  constructor(readonly error: unknown) {
    super('the call certainly took no effect');
  }
}

class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Runs one statement (the seckill CALL) so that its answer is never a lie:
 * the whole thing, pool wait included, is bounded by DEPENDENCY_TIMEOUT_MS plus
 * ORDER_SETTLE_TIMEOUT_MS, and a call that missed the deadline is stopped on the
 * server (KILL QUERY from a connection of its own, outside the possibly
 * exhausted pool) and its effect looked up before anyone is told "no".
 *
 * It uses raw mysql2 connections of TypeORM's pool, without TypeORM's
 * client-side query timeout: that timeout only stops waiting, while the
 * statement runs on and may commit later.
 */
@Injectable()
export class DeadlineCaller implements OnModuleDestroy {
  private readonly logger = new Logger(DeadlineCaller.name);
  /** A separate small pool for KILL and lookups, so they never queue behind the calls they stop. */
  private readonly controlPool: mysql2.Pool;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(databaseConfig.KEY) private readonly config: DatabaseConfig,
    @Optional() @Inject(MYSQL_CONTROL_POOL) controlPool?: mysql2.Pool,
  ) {
    this.controlPool = controlPool ?? createControlPool(config);
  }

  async onModuleDestroy(): Promise<void> {
    await this.controlPool.promise().end();
  }

  async call<T>(sql: string, params: unknown[], lookup: EffectLookup): Promise<CallOutcome<T>> {
    const deadline = Date.now() + this.config.timeoutMs;
    // 1. The pool wait is inside the deadline. Nothing was sent if it fails: a certain 503.
    const connection = await this.acquire(deadline);
    const threadId = connection.threadId;
    // 2. The call, with no client-side timeout: it ends when the server answers.
    const call = settle(query(connection, sql, params));
    const first = await within(call, deadline, 'seckill call');
    if (first.ok) {
      connection.release();
      return { kind: 'answered', rows: first.rows as T };
    }
    const settleBy = Date.now() + this.config.settleTimeoutMs;
    const failure = first.error;
    if (isNotSent(failure)) {
      connection.destroy();
      throw new DependencyUnavailableError(['mysql'], failure);
    }
    const lookUpAfterSettled = async (answer: unknown): Promise<CallOutcome<T>> => {
      try {
        return await this.lookUpAfterSettled(connection, answer, failure, lookup, settleBy);
      } catch (error) {
        if (error instanceof NoEffect || error instanceof DeadlineExceeded) throw error;
        // The connection broke after the call ended: ask through the control pool.
        connection.destroy();
        return this.lookUpAfterKillingThread(threadId, failure, lookup, settleBy);
      }
    };
    try {
      if (isServerAnswer(failure)) {
        // 3a. The server ended the call with an error (lock wait timeout, deadlock...).
        return await lookUpAfterSettled(failure);
      }
      if (failure instanceof DeadlineExceeded) {
        // 3b. Past the deadline: stop it on the server, wait until it has ended.
        const killed = await this.control(`KILL QUERY ${Number(threadId)}`, [], settleBy).then(
          () => true,
          (error: unknown) => {
            // "Unknown thread": the call's connection is gone already (3c).
            if (isServerAnswer(error)) return false;
            throw error;
          },
        );
        const settled = killed
          ? await within(call, settleBy, 'killed seckill call')
          : ({ ok: false, error: failure } satisfies Settled);
        if (!settled.ok && settled.error instanceof DeadlineExceeded && killed) throw settled.error;
        if (settled.ok) {
          connection.destroy();
          return { kind: 'answered', rows: settled.rows as T };
        }
        if (isServerAnswer(settled.error)) return await lookUpAfterSettled(settled.error);
      }
      // 3c. The connection broke mid-call: the server may still be running it.
      connection.destroy();
      return await this.lookUpAfterKillingThread(threadId, failure, lookup, settleBy);
    } catch (error) {
      if (error instanceof NoEffect) throw error.error;
      // 4. MySQL could not be asked in time: say so, never guess.
      connection.destroy();
      this.logger.warn(
        { err: error, cause: failure, threadId },
        'the outcome of a call could not be learned in time',
      );
      return { kind: 'unknown', cause: failure };
    }
  }

  /**
   * The call has ended (the server answered it). Its transaction may still be
   * open (a killed CALL skips the procedure's handler): roll it back on the
   * same connection, then look its effect up there.
   */
  private async lookUpAfterSettled<T>(
    connection: mysql2.PoolConnection,
    answer: unknown,
    failure: unknown,
    lookup: EffectLookup,
    settleBy: number,
  ): Promise<CallOutcome<T>> {
    await within(query(connection, 'ROLLBACK', []), settleBy, 'rollback', true);
    const [progress] = (await within(
      query(connection, lookup.progress.sql, lookup.progress.params),
      settleBy,
      'progress',
      true,
    )) as { started: unknown; done: unknown }[];
    // Finished committing: it took effect. Never began to: whatever it wrote was
    // rolled back just now. Stopped inside COMMIT: only the table can tell.
    const rows =
      Number(progress.done) === 1
        ? [progress]
        : Number(progress.started) !== 1
          ? []
          : ((await within(
              query(connection, lookup.effect.sql, lookup.effect.params),
              settleBy,
              'lookup',
              true,
            )) as unknown[]);
    // A connection a KILL QUERY was aimed at is not handed to the next request.
    if (failure instanceof DeadlineExceeded) connection.destroy();
    else connection.release();
    if (rows.length > 0) return { kind: 'took-effect' };
    // Its own error when it failed by itself (1205 is a 503 too); ours when we stopped it.
    throw new NoEffect(
      failure instanceof DeadlineExceeded
        ? new DependencyUnavailableError(['mysql'], answer)
        : answer,
    );
  }

  /**
   * The call's connection is gone but its server thread may run on. Kill the
   * thread, wait until it has left the process list (a thread leaves it only
   * after rolling back what it had not committed), then look the effect up.
   */
  private async lookUpAfterKillingThread<T>(
    threadId: number,
    failure: unknown,
    lookup: EffectLookup,
    settleBy: number,
  ): Promise<CallOutcome<T>> {
    try {
      await this.control(`KILL CONNECTION ${Number(threadId)}`, [], settleBy);
    } catch (error) {
      if ((error as { errno?: number }).errno !== ER_NO_SUCH_THREAD) throw error;
    }
    for (;;) {
      const [row] = (await this.control(
        'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
        [threadId],
        settleBy,
      )) as { n: number | string }[];
      if (Number(row.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const rows = (await this.control(
      lookup.effect.sql,
      lookup.effect.params,
      settleBy,
    )) as unknown[];
    if (rows.length > 0) return { kind: 'took-effect' };
    throw new NoEffect(new DependencyUnavailableError(['mysql'], failure));
  }

  /** A statement on the control pool, bounded by `by`; a connection that missed it is dropped. */
  private async control(sql: string, params: unknown[], by: number): Promise<unknown> {
    const connection = await acquireFrom(this.controlPool, by, 'control connection');
    try {
      const rows = await within(query(connection, sql, params), by, 'control statement', true);
      connection.release();
      return rows;
    } catch (error) {
      if (isServerAnswer(error)) connection.release();
      else connection.destroy();
      throw error;
    }
  }

  private acquire(deadline: number): Promise<mysql2.PoolConnection> {
    const pool = (this.dataSource.driver as unknown as { pool: mysql2.Pool }).pool;
    return acquireFrom(pool, deadline, 'pool connection').catch((error: unknown) => {
      throw new DependencyUnavailableError(['mysql'], error);
    });
  }
}

const ER_NO_SUCH_THREAD = 1094;

function createControlPool(config: DatabaseConfig): mysql2.Pool {
  // Like every connection of the service: UTC, bounded lock waits.
  return withSessionSettings(mysql2, sessionSettingsSql(config.timeoutMs)).createPool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.name,
    connectionLimit: 2,
    connectTimeout: config.settleTimeoutMs,
    supportBigNumbers: true,
    bigNumberStrings: true,
    enableKeepAlive: true,
  });
}

/** A connection from `pool` by `deadline`; one that comes later goes straight back. */
function acquireFrom(
  pool: mysql2.Pool,
  deadline: number,
  what: string,
): Promise<mysql2.PoolConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const ms = Math.max(0, deadline - Date.now());
    const timer = setTimeout(() => {
      late = true;
      reject(new DeadlineExceeded(what, ms));
    }, ms);
    pool.getConnection((error, connection) => {
      if (late) {
        connection?.release();
        return;
      }
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(connection);
    });
  });
}

function query(
  connection: mysql2.PoolConnection,
  sql: string,
  params: unknown[],
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.query(sql, params, (error, rows) => (error ? reject(error) : resolve(rows)));
  });
}

function settle(promise: Promise<unknown>): Promise<Settled> {
  return promise.then(
    (rows) => ({ ok: true, rows }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * `promise`, or a DeadlineExceeded at `by`. Without `rejectOnDeadline` the
 * result is a Settled (the promise is one); with it, the value or the error.
 */
function within(promise: Promise<Settled>, by: number, what: string): Promise<Settled>;
function within(promise: Promise<unknown>, by: number, what: string, raw: true): Promise<unknown>;
function within(
  promise: Promise<unknown>,
  by: number,
  what: string,
  raw = false,
): Promise<unknown> {
  const ms = Math.max(0, by - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceeded(what, ms);
      if (raw) reject(error);
      else resolve({ ok: false, error } satisfies Settled);
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The server answered with an error: the statement has ended, the connection works. */
function isServerAnswer(error: unknown): boolean {
  const e = error as { fatal?: unknown; sqlState?: unknown } | undefined;
  return typeof e?.sqlState === 'string' && e.fatal !== true;
}

/** mysql2 refused the command before writing it: the connection was already closed. */
function isNotSent(error: unknown): boolean {
  return /Can't add new command when connection is in closed state/.test(
    String((error as Error | undefined)?.message),
  );
}
