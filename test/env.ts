/**
 * Runs before every e2e spec file: the tests own a MariaDB database whose name
 * contains "test" and a Redis db index of their own (15 unless overridden).
 */
process.env.NODE_ENV = 'test';
process.env.DB_NAME = process.env.TEST_DB_NAME ?? 'seckill_test';
process.env.REDIS_URL = `redis://127.0.0.1:6379/${process.env.TEST_REDIS_DB ?? '15'}`;
process.env.DB_HOST = '127.0.0.1';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.ADMIN_TOKEN = 'test-admin-token-0123456789';
delete process.env.PORT;
// Outside production only loopback is allowed; a HOST from the shell must not stop the tests.
process.env.HOST = '127.0.0.1';
