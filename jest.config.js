/** Jest runs the TypeScript sources through ts-jest as ES modules (node --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Suites that need a service or take minutes run on their own (docs/development.md):
  // test/gnocchi-live (`npm run test:gnocchi`, a real Gnocchi), test/package (`npm run
  // test:package`), test/chaos (`npm run test:chaos`: faults, crashes, bad input, secrets),
  // test/browser (`npm run test:browser`, Debian's Chromium), test/metrics (`npm run
  // test:metrics`, promtool from test/services/promtool-up.sh), test/postgres (`npm run
  // test:postgres`, several bill processes on a PostgreSQL from test/services/postgres-up.sh).
  testPathIgnorePatterns: ['/node_modules/', '/test/gnocchi-live/', '/test/package/', '/test/chaos/', '/test/browser/', '/test/metrics/', '/test/postgres/'],
  // …and `npm test` says so in one line at the end (test/gnocchi-live/note.mjs).
  globalTeardown: '<rootDir>/test/gnocchi-live/note.mjs',
  testTimeout: 30000,
};
