import { QueryFailedError } from 'typeorm';
import { dependencyBehind } from './dependency-failure';
import { Dependency } from './domain-error';

/** An Error as the mysql2 driver builds it: a code, and `fatal` when the connection is gone. */
function mysqlError(code: string, message: string, fatal?: boolean): Error {
  return Object.assign(new Error(message), { code, ...(fatal !== undefined && { fatal }) });
}

const queryFailed = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

/** ioredis' MaxRetriesPerRequestError, by name. */
function maxRetriesError(): Error {
  const error = new Error('Reached the max retries per request limit (which is 0).');
  error.name = 'MaxRetriesPerRequestError';
  return error;
}

describe(dependencyBehind.name, () => {
  it.each<[string, unknown, Dependency | undefined]>([
    // redis: a Redis Cluster without a master for a slot, or moving one
    ['a cluster that is down', new Error('CLUSTERDOWN The cluster is down'), 'redis'],
    [
      'a cluster client not ready',
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
      'redis',
    ],
    ['a redirection not followed', new Error('MOVED 14964 127.0.0.1:50866'), 'redis'],
    ['a message that merely mentions MOVED', new Error('row MOVED 1 away'), undefined],
    // mysql: the database could not be talked to
    ['connection refused', mysqlError('ECONNREFUSED', 'connect ECONNREFUSED', true), 'mysql'],
    ['a fatal error whatever its code', mysqlError('ER_SOMETHING_NEW', 'gone', true), 'mysql'],
    ['connection lost', mysqlError('PROTOCOL_CONNECTION_LOST', 'Connection lost'), 'mysql'],
    ['a reset connection', mysqlError('ECONNRESET', 'read ECONNRESET'), 'mysql'],
    ['too many connections', mysqlError('ER_CON_COUNT_ERROR', 'Too many connections'), 'mysql'],
    ['a lock wait timeout', mysqlError('ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout'), 'mysql'],
    [
      'a deadlock (its transaction rolled back)',
      mysqlError('ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock'),
      'mysql',
    ],
    ['a closed pool', new Error('Pool is closed.'), 'mysql'],
    ['a connect timeout', new Error('connect ETIMEDOUT'), 'mysql'],
    [
      'a QueryFailedError over a lost connection',
      queryFailed(mysqlError('PROTOCOL_CONNECTION_LOST', 'Connection lost', true)),
      'mysql',
    ],
    [
      'a QueryFailedError over a refused connection',
      queryFailed(mysqlError('ECONNREFUSED', 'connect ECONNREFUSED')),
      'mysql',
    ],
    [
      'any error carrying a driverError over a lost connection',
      Object.assign(new Error('Query failed'), {
        driverError: mysqlError('PROTOCOL_CONNECTION_LOST', 'Connection lost'),
      }),
      'mysql',
    ],
    // redis: ioredis could not send the command
    [
      'no offline queue and no connection',
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      'redis',
    ],
    ['a closed connection', new Error('Connection is closed.'), 'redis'],
    ['a command timeout', new Error('Command timed out'), 'redis'],
    ['MaxRetriesPerRequestError', maxRetriesError(), 'redis'],
    // bugs: our own mistakes, answered 500
    ['a plain Error', new Error('boom'), undefined],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')"), undefined],
    ['a duplicate key', mysqlError('ER_DUP_ENTRY', "Duplicate entry '1-1'"), undefined],
    [
      'a QueryFailedError over a syntax error',
      queryFailed(mysqlError('ER_PARSE_ERROR', 'You have an error in your SQL syntax')),
      undefined,
    ],
    ['a non-fatal error', mysqlError('ER_BAD_FIELD_ERROR', 'Unknown column', false), undefined],
    ['an error whose fatal is not true', { code: 'ER_X', fatal: 'yes' }, undefined],
    ['undefined', undefined, undefined],
    ['null', null, undefined],
    ['a string', 'ECONNREFUSED', undefined],
    ['a number', 42, undefined],
  ])('%s -> %s', (_case, error, expected) => {
    expect(dependencyBehind(error)).toBe(expected);
  });
});
