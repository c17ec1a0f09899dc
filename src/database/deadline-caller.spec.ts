import { Logger } from '@nestjs/common';
import type * as mysql2 from 'mysql2';
import type { DataSource } from 'typeorm';
import { DependencyUnavailableError } from '../common/domain-error';
import { DatabaseConfig } from '../config/configuration';
import { DeadlineCaller, EffectLookup } from './deadline-caller';

const DEADLINE_MS = 60;
const SETTLE_MS = 60;
const THREAD_ID = 42;
const CALL = 'CALL seckill_place_order_v3(?, ?, ?)';
const ROWS = [[{ outcome: 'created' }], {}];

const lookup: EffectLookup = {
  progress: { sql: 'SELECT progress', params: [] },
  effect: { sql: 'SELECT effect', params: [] },
};

const config: DatabaseConfig = {
  host: '127.0.0.1',
  port: 3306,
  user: 'root',
  password: '',
  name: 'seckill_unit',
  poolSize: 1,
  timeoutMs: DEADLINE_MS,
  settleTimeoutMs: SETTLE_MS,
};

/** What a statement does: answer rows, fail with an error, or never answer. */
type Reply = { rows: unknown } | { error: unknown } | 'hang';
type Script = (sql: string) => Reply | Promise<Reply>;

/** A mysql2 connection whose answers the test scripts; it records what it was sent. */
class FakeConnection {
  readonly threadId = THREAD_ID;
  readonly sent: string[] = [];
  readonly release = jest.fn();
  readonly destroy = jest.fn();

  constructor(private readonly script: Script) {}

  query(sql: string, _params: unknown[], callback: (error: unknown, rows?: unknown) => void): void {
    this.sent.push(sql);
    void Promise.resolve(this.script(sql)).then((reply) => {
      if (reply === 'hang') return;
      if ('error' in reply) callback(reply.error);
      else callback(null, reply.rows);
    });
  }
}

/** A pool handing out one connection, at once or when `ready` resolves. */
function fakePool(connection: FakeConnection, ready: Promise<unknown> = Promise.resolve()) {
  return {
    getConnection: jest.fn((callback: (error: unknown, connection?: FakeConnection) => void) => {
      void ready.then(() => callback(null, connection));
    }),
  };
}

const serverError = (errno: number, code: string) =>
  Object.assign(new Error(code), { errno, code, sqlState: 'HY000', fatal: false });
const connectionLost = () =>
  Object.assign(new Error('Connection lost: The server closed the connection.'), {
    code: 'PROTOCOL_CONNECTION_LOST',
    fatal: true,
  });

describe(DeadlineCaller.name, () => {
  let control: FakeConnection;
  let controlScript: jest.Mock<Reply | Promise<Reply>, [string]>;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    controlScript = jest.fn((sql: string): Reply => {
      if (sql.startsWith('KILL')) return { rows: {} };
      if (sql.includes('PROCESSLIST')) return { rows: [{ n: 0 }] };
      return { rows: [] };
    });
    control = new FakeConnection((sql) => controlScript(sql));
  });
  afterEach(() => jest.restoreAllMocks());

  function sut(connection: FakeConnection, ready?: Promise<unknown>) {
    const dataSource = { driver: { pool: fakePool(connection, ready) } } as unknown as DataSource;
    return new DeadlineCaller(dataSource, config, fakePool(control) as unknown as mysql2.Pool);
  }

  it('answers what the call answered in time, and hands the connection back', async () => {
    const connection = new FakeConnection(() => ({ rows: ROWS }));

    await expect(sut(connection).call(CALL, [], lookup)).resolves.toEqual({
      kind: 'answered',
      rows: ROWS,
    });
    expect(connection.release).toHaveBeenCalledTimes(1);
    expect(control.sent).toEqual([]);
  });

  it('rejects with 503 when no connection comes in time, sending nothing, and hands a late one back', async () => {
    let arrive!: (value?: unknown) => void;
    const connection = new FakeConnection(() => ({ rows: ROWS }));

    const call = sut(connection, new Promise((resolve) => (arrive = resolve))).call(
      CALL,
      [],
      lookup,
    );

    await expect(call).rejects.toBeInstanceOf(DependencyUnavailableError);
    arrive();
    await new Promise((resolve) => setImmediate(resolve));
    expect(connection.sent).toEqual([]);
    expect(connection.release).toHaveBeenCalledTimes(1);
  });

  it('rejects with the server error when the call failed by itself before committing', async () => {
    const lockWait = serverError(1205, 'ER_LOCK_WAIT_TIMEOUT');
    const connection = new FakeConnection((sql) =>
      sql === CALL
        ? { error: lockWait }
        : sql === 'SELECT progress'
          ? { rows: [{ started: 0, done: 0 }] }
          : { rows: [] },
    );

    await expect(sut(connection).call(CALL, [], lookup)).rejects.toBe(lockWait);
    expect(connection.sent).toEqual([CALL, 'ROLLBACK', 'SELECT progress']);
    // No KILL was aimed at it: it goes back to the pool.
    expect(connection.release).toHaveBeenCalledTimes(1);
    expect(connection.destroy).not.toHaveBeenCalled();
  });

  describe('past the deadline', () => {
    /** A call that hangs until KILL QUERY reaches it, then fails with `killed` or answers `rows`. */
    function killable(
      afterKill: Reply,
      progress: { started: number | null; done: number | null },
      effect: unknown[] = [],
    ) {
      let killed!: (reply: Reply) => void;
      const settled = new Promise<Reply>((resolve) => (killed = resolve));
      controlScript.mockImplementation((sql: string): Reply => {
        if (sql === `KILL QUERY ${THREAD_ID}`) killed(afterKill);
        return { rows: {} };
      });
      return new FakeConnection((sql) => {
        if (sql === CALL) return settled;
        if (sql === 'SELECT progress') return { rows: [progress] };
        if (sql === 'SELECT effect') return { rows: effect };
        return { rows: [] };
      });
    }

    const interrupted = () => ({ error: serverError(1317, 'ER_QUERY_INTERRUPTED') });

    it('kills the call, rolls back, and rejects with 503 when it never began to commit', async () => {
      const connection = killable(interrupted(), { started: null, done: null });

      await expect(sut(connection).call(CALL, [], lookup)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(control.sent).toEqual([`KILL QUERY ${THREAD_ID}`]);
      expect(connection.sent).toEqual([CALL, 'ROLLBACK', 'SELECT progress']);
      expect(connection.destroy).toHaveBeenCalled();
      expect(connection.release).not.toHaveBeenCalled();
    });

    it('answers took-effect when it had committed', async () => {
      const connection = killable(interrupted(), { started: 1, done: 1 });

      await expect(sut(connection).call(CALL, [], lookup)).resolves.toEqual({
        kind: 'took-effect',
      });
      expect(connection.sent).not.toContain('SELECT effect');
    });

    it.each([
      [[{ id: '1' }], 'took-effect'],
      [[], 'no effect'],
    ])('looks the effect up when killed inside COMMIT (found %j: %s)', async (effect, expected) => {
      const connection = killable(interrupted(), { started: 1, done: 0 }, effect);

      const call = sut(connection).call(CALL, [], lookup);

      if (expected === 'took-effect') await expect(call).resolves.toEqual({ kind: 'took-effect' });
      else await expect(call).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(connection.sent).toContain('SELECT effect');
    });

    it('answers what the call answered when it finished as the kill arrived', async () => {
      const connection = killable({ rows: ROWS }, { started: 1, done: 1 });

      await expect(sut(connection).call(CALL, [], lookup)).resolves.toEqual({
        kind: 'answered',
        rows: ROWS,
      });
      expect(connection.destroy).toHaveBeenCalled();
    });

    it('answers unknown, within the settle time, when MySQL cannot be asked', async () => {
      controlScript.mockImplementation(() => 'hang');
      const connection = new FakeConnection(() => 'hang');
      const started = Date.now();

      const outcome = await sut(connection).call(CALL, [], lookup);

      expect(outcome.kind).toBe('unknown');
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + SETTLE_MS + 100);
      expect(connection.destroy).toHaveBeenCalled();
    });
  });

  describe('when the connection breaks mid-call', () => {
    it('kills the thread, waits until it has left the process list, then looks the effect up', async () => {
      let listed = 2;
      controlScript.mockImplementation((sql: string): Reply => {
        if (sql.includes('PROCESSLIST')) return { rows: [{ n: listed-- > 0 ? 1 : 0 }] };
        if (sql === 'SELECT effect') return { rows: [] };
        return { rows: {} };
      });
      const connection = new FakeConnection(() => ({ error: connectionLost() }));

      await expect(sut(connection).call(CALL, [], lookup)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(control.sent[0]).toBe(`KILL CONNECTION ${THREAD_ID}`);
      expect(control.sent.filter((sql) => sql.includes('PROCESSLIST'))).toHaveLength(3);
      expect(control.sent.at(-1)).toBe('SELECT effect');
    });

    it('answers took-effect when the order is there, also when the thread was already gone', async () => {
      controlScript.mockImplementation((sql: string): Reply => {
        if (sql.startsWith('KILL')) return { error: serverError(1094, 'ER_NO_SUCH_THREAD') };
        if (sql.includes('PROCESSLIST')) return { rows: [{ n: 0 }] };
        return { rows: [{ id: '1' }] };
      });
      const connection = new FakeConnection(() => ({ error: connectionLost() }));

      await expect(sut(connection).call(CALL, [], lookup)).resolves.toEqual({
        kind: 'took-effect',
      });
    });

    it('rejects with 503 at once when mysql2 refused to send it (the connection was closed)', async () => {
      const closed = Object.assign(
        new Error("Can't add new command when connection is in closed state"),
        { fatal: true },
      );
      const connection = new FakeConnection(() => ({ error: closed }));

      await expect(sut(connection).call(CALL, [], lookup)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(control.sent).toEqual([]);
    });
  });
});
