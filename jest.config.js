/** @type {import('jest').Config} */
const base = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
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
