import type * as mysql2 from 'mysql2';

/**
 * How long, in whole seconds, a statement may wait for a row lock
 * (innodb_lock_wait_timeout) or a table/metadata lock (lock_wait_timeout):
 * the dependency deadline rounded up, at least 1 s (MySQL 8's minimum).
 */
export function lockWaitSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

/** UTC for a session that must not have its lock waits cut short (migrations). */
export const UTC_SESSION_SQL = "SET SESSION time_zone = '+00:00'";

/**
 * Every session: UTC, whatever the server's or the global zone (so
 * CURRENT_TIMESTAMP defaults and NOW() are UTC like the values mysql2 writes
 * with timezone 'Z'), and lock waits bounded on the server, so a statement
 * stuck behind a lock ends by itself (error 1205, its transaction rolled back
 * by the procedure) instead of running on after the client gave up.
 */
export function sessionSettingsSql(timeoutMs: number): string {
  const seconds = lockWaitSeconds(timeoutMs);
  return (
    `SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = ${seconds}, ` +
    `lock_wait_timeout = ${seconds}`
  );
}

/**
 * mysql2 has no "init SQL" option. A pool emits 'connection' for each new
 * connection synchronously before handing it out, so a query issued there is
 * queued ahead of every query of its first user; wrapping createPool attaches
 * the listener before the pool opens its first connection (the one TypeORM
 * opens at start-up to check the credentials). A connection whose settings
 * fail is destroyed: it must not serve a query in the server's zone.
 */
export function withSessionSettings(driver: typeof mysql2, settingsSql: string): typeof mysql2 {
  const createPool = (options: mysql2.PoolOptions): mysql2.Pool => {
    const pool = driver.createPool(options);
    pool.on('connection', (connection) => applySessionSettings(connection, settingsSql));
    return pool;
  };
  // Defined, not assigned: the module namespace's members are getters.
  return Object.create(driver, { createPool: { value: createPool } }) as typeof mysql2;
}

export function applySessionSettings(connection: mysql2.PoolConnection, settingsSql: string): void {
  connection.query(settingsSql, (error) => {
    if (error) connection.destroy();
  });
}
