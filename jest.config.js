/** @type {import('jest').Config} */
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // package.json overrides content-disposition (@fastify/static's, for /docs) to 2.x,
    // CommonJS. A node_modules installed before that holds 3.x, ESM only, which jest
    // cannot require(): compiled to CommonJS. Harmless on 2.x; remove once every
    // checkout has re-run npm ci.
    '/node_modules/content-disposition/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  testEnvironment: 'node',
};

module.exports = {
  // e2e specs share one MariaDB database and one Redis db: run files one at a time.
  maxWorkers: 1,
  // Only honoured here, not per project.
  testTimeout: 60000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      rootDir: '.',
      roots: ['<rootDir>/src', '<rootDir>/loadtest', '<rootDir>/test'],
      testRegex: '.*\\.spec\\.ts$',
    },
    {
      ...base,
      displayName: 'e2e',
      rootDir: '.',
      testRegex: 'test/.*\\.e2e-spec\\.ts$',
      globalSetup: '<rootDir>/test/global-setup.ts',
      setupFiles: ['<rootDir>/test/env.ts'],
    },
  ],
};
