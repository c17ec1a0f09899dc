import { testSettings } from './support/test-settings';

/**
 * Runs before every e2e spec file: the tests own a MariaDB database whose name
 * contains "test" (TEST_DB_NAME) on the server of DB_* (or TEST_DB_*), and a Redis
 * db of their own (TEST_REDIS_DB, 15 unless overridden) on the server of REDIS_URL;
 * test/global-setup.ts has checked them. Read from the environment and .env, as the
 * service reads them.
 */
const settings = testSettings();
process.env.NODE_ENV = 'test';
process.env.DB_HOST = settings.mysql.host;
process.env.DB_PORT = String(settings.mysql.port);
process.env.DB_USER = settings.mysql.user;
process.env.DB_PASSWORD = settings.mysql.password;
process.env.DB_NAME = settings.dbName;
process.env.REDIS_URL = settings.redisUrl;
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.ADMIN_TOKEN = 'test-admin-token-0123456789';
delete process.env.PORT;
// Outside production only loopback is allowed; a HOST from the shell must not stop the tests.
process.env.HOST = '127.0.0.1';
