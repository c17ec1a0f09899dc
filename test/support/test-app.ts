import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { randomInt } from 'node:crypto';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { REDIS } from '../../src/redis/redis.constants';
import { UserService } from '../../src/user/user.service';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the listening app (real sockets, so requests really overlap). */
  api: TestAgent;
  baseUrl: string;
  db: DataSource;
  redis: Redis;
  close(): Promise<void>;
}

/** The real application (real MariaDB, real Redis), built as main.ts builds it. */
export async function startTestApp(): Promise<TestApp> {
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  return {
    app,
    api: request(baseUrl),
    baseUrl,
    db: app.get<DataSource>(getDataSourceToken()),
    redis: app.get<Redis>(REDIS),
    close: () => app.close(),
  };
}

/**
 * Sets environment variables for the app a spec is about to start; the function
 * it returns puts the earlier values back (call it after the app is closed).
 */
export function overrideEnv(values: Record<string, string>): () => void {
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

let phoneSequence = randomInt(0, 800_000_000);

/** A phone number no other test of this run uses. */
export function uniquePhone(): string {
  phoneSequence += 1;
  return `13${String(phoneSequence).padStart(9, '0')}`;
}

export interface SeckillVoucherInput {
  shopId: number;
  title: string;
  payValue: number;
  actualValue: number;
  stock: number;
  beginTime: string;
  endTime: string;
  subTitle?: string;
  rules?: string;
}

const HOUR = 3_600_000;

export function seckillVoucherBody(
  overrides: Partial<SeckillVoucherInput> = {},
): SeckillVoucherInput {
  return {
    shopId: 1,
    title: '100 yuan voucher',
    payValue: 8000,
    actualValue: 10000,
    stock: 10,
    beginTime: new Date(Date.now() - HOUR).toISOString(),
    endTime: new Date(Date.now() + HOUR).toISOString(),
    ...overrides,
  };
}

/** Creates a seckill voucher through the admin API; returns its id. */
export async function createSeckillVoucher(
  api: TestAgent,
  overrides: Partial<SeckillVoucherInput> = {},
): Promise<number> {
  const res = await api
    .post('/voucher/seckill')
    .set('x-admin-token', ADMIN_TOKEN)
    .send(seckillVoucherBody(overrides))
    .expect(201);
  return res.body.data as number;
}

/** Logs a new shopper in through the API (code, then login); returns the token. */
export async function loginShopper(api: TestAgent, phone = uniquePhone()): Promise<string> {
  const code = await api.post('/user/code').send({ phone }).expect(200);
  const login = await api
    .post('/user/login')
    .send({ phone, code: code.body.data as string })
    .expect(200);
  return login.body.data as string;
}

/** The stock left of a seckill voucher, read straight from MySQL. */
export async function stockOf(testApp: TestApp, voucherId: number): Promise<number> {
  const [row] = await testApp.db.query<{ stock: number }[]>(
    'SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ?',
    [voucherId],
  );
  return Number(row.stock);
}

/** The orders of a voucher, read straight from MySQL (ids as strings). */
export function ordersOf(
  testApp: TestApp,
  voucherId: number,
): Promise<{ id: string; user_id: string }[]> {
  return testApp.db.query(
    'SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS user_id FROM tb_voucher_order WHERE voucher_id = ?',
    [voucherId],
  );
}

/** Many shoppers at once, through the same code path login uses after the code check. */
export async function signInShoppers(
  testApp: TestApp,
  count: number,
): Promise<{ id: number; token: string }[]> {
  const phones = Array.from({ length: count }, uniquePhone);
  const sessions = await testApp.app.get(UserService).signInMany(phones);
  return sessions.map(({ shopper, token }) => ({ id: shopper.id, token }));
}
