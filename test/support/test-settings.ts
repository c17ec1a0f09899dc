import { parse } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What the service reads when started in this checkout: .env, then the environment wins. */
export type Vars = Record<string, string | undefined>;

export const DEFAULT_TEST_DB_NAME = 'seckill_test';
export const DEFAULT_TEST_REDIS_DB = 15;
/** The service's defaults (src/config/env.validation.ts). */
const SERVICE_DEFAULTS = {
  DB_HOST: '127.0.0.1',
  DB_PORT: '3306',
  DB_USER: 'root',
  DB_PASSWORD: '',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
};

/**
 * The variables the service would see: the .env file of the checkout (as
 * @nestjs/config loads it, with the same parser) under the environment. An
 * empty value counts as unset, as in the service.
 */
export function serviceVars(
  env: Vars = process.env,
  dotenvFile = join(resolve(__dirname, '..', '..'), '.env'),
): Vars {
  const fromFile = existsSync(dotenvFile) ? parse(readFileSync(dotenvFile)) : {};
  const merged: Vars = { ...fromFile };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}

const valueOf = (vars: Vars, name: string): string | undefined =>
  vars[name] === '' ? undefined : vars[name];

export interface TestSettings {
  mysql: { host: string; port: number; user: string; password: string };
  dbName: string;
  /** The service's Redis (REDIS_URL), whose db the tests must never flush. */
  serviceRedisUrl: string;
  /** The same Redis server, on the tests' own db (TEST_REDIS_DB). */
  redisUrl: string;
  redisDb: number;
}

/**
 * Where the e2e tests run: the MySQL server of DB_* (TEST_DB_HOST, TEST_DB_PORT,
 * TEST_DB_USER, TEST_DB_PASSWORD override them), database TEST_DB_NAME; the
 * Redis server of REDIS_URL, db TEST_REDIS_DB.
 */
export function testSettings(vars: Vars = serviceVars()): TestSettings {
  const pick = (name: keyof typeof SERVICE_DEFAULTS) =>
    valueOf(vars, `TEST_${name}`) ?? valueOf(vars, name) ?? SERVICE_DEFAULTS[name];
  const serviceRedisUrl = valueOf(vars, 'REDIS_URL') ?? SERVICE_DEFAULTS.REDIS_URL;
  const redisDb = Number(valueOf(vars, 'TEST_REDIS_DB') ?? DEFAULT_TEST_REDIS_DB);
  return {
    mysql: {
      host: pick('DB_HOST'),
      port: Number(pick('DB_PORT')),
      user: pick('DB_USER'),
      password: pick('DB_PASSWORD'),
    },
    dbName: valueOf(vars, 'TEST_DB_NAME') ?? DEFAULT_TEST_DB_NAME,
    serviceRedisUrl,
    redisUrl: withRedisDb(serviceRedisUrl, redisDb),
    redisDb,
  };
}

/** The db index of a redis:// URL ("/<db>"; none means 0, as ioredis reads it). */
export function redisDbOf(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  return path === '' ? 0 : Number(path);
}

function withRedisDb(url: string, db: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  return parsed.toString();
}

/**
 * Why the tests must not start, or undefined. They drop their database and flush
 * their Redis db: a database named without "test", db 0 (everyone's default) or
 * the very db of the service's REDIS_URL would wipe data that is not theirs.
 */
export function refusalOf(settings: TestSettings): string | undefined {
  if (!settings.dbName.includes('test')) {
    return `refusing to run e2e tests against "${settings.dbName}": its name must contain "test" (TEST_DB_NAME)`;
  }
  if (!Number.isInteger(settings.redisDb) || settings.redisDb < 0) {
    return `TEST_REDIS_DB must be a Redis db index, not "${settings.redisDb}"`;
  }
  if (settings.redisDb === 0) {
    return 'refusing to run e2e tests on Redis db 0: set TEST_REDIS_DB to a db of their own';
  }
  if (settings.redisDb === redisDbOf(settings.serviceRedisUrl)) {
    return (
      `refusing to run e2e tests on Redis db ${settings.redisDb}: the service's REDIS_URL ` +
      `(${redacted(settings.serviceRedisUrl)}) uses that db, and the tests flush theirs. ` +
      'Set TEST_REDIS_DB to another db (or point REDIS_URL elsewhere)'
    );
  }
  return undefined;
}

/** A URL fit for a message: without its password. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** MySQL connection options of the tests, in a spec (test/env.ts has set DB_* by then). */
export function testMysql(): { host: string; port: number; user: string; password: string } {
  return {
    host: process.env.DB_HOST!,
    port: Number(process.env.DB_PORT),
    user: process.env.DB_USER!,
    password: process.env.DB_PASSWORD ?? '',
  };
}
