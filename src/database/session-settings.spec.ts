import { EventEmitter } from 'node:events';
import type * as mysql2 from 'mysql2';
import { lockWaitSeconds, sessionSettingsSql, withSessionSettings } from './session-settings';

describe(lockWaitSeconds.name, () => {
  it.each([
    [50, 1],
    [1000, 1],
    [1001, 2],
    [5000, 5],
  ])('bounds lock waits of a %i ms deadline to %i s', (timeoutMs, seconds) => {
    expect(lockWaitSeconds(timeoutMs)).toBe(seconds);
  });
});

describe(sessionSettingsSql.name, () => {
  it('sets UTC and both lock wait timeouts', () => {
    expect(sessionSettingsSql(1000)).toBe(
      "SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = 1, lock_wait_timeout = 1",
    );
  });
});

describe(withSessionSettings.name, () => {
  const SETTINGS = "SET SESSION time_zone = '+00:00'";

  function fakeDriver() {
    const pool = new EventEmitter();
    const driver = { createPool: jest.fn(() => pool), format: jest.fn() };
    return { pool, driver: driver as unknown as typeof mysql2 };
  }

  function fakeConnection(error: Error | null = null) {
    return {
      query: jest.fn((_sql: string, callback: (error: Error | null) => void) => callback(error)),
      destroy: jest.fn(),
    };
  }

  it('sends the settings on every new connection of the pools it creates', () => {
    const { pool, driver } = fakeDriver();
    const wrapped = withSessionSettings(driver, SETTINGS);

    expect(wrapped.createPool({})).toBe(pool);
    const connection = fakeConnection();
    pool.emit('connection', connection);

    expect(connection.query).toHaveBeenCalledWith(SETTINGS, expect.any(Function));
    expect(connection.destroy).not.toHaveBeenCalled();
  });

  it('destroys a connection whose settings failed', () => {
    const { pool, driver } = fakeDriver();
    withSessionSettings(driver, SETTINGS).createPool({});
    const connection = fakeConnection(new Error('Unknown or incorrect time zone'));

    pool.emit('connection', connection);

    expect(connection.destroy).toHaveBeenCalledTimes(1);
  });

  it('leaves the rest of the driver as it is', () => {
    const { driver } = fakeDriver();

    expect(withSessionSettings(driver, SETTINGS).format).toBe(driver.format);
  });
});
