/** Jest runs the TypeScript sources through ts-jest as ES modules (node --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The real-Gnocchi suite needs a server: `npm run test:gnocchi` runs it (see README); the metrics
  // suite needs promtool: `npm run test:metrics` (test/services/promtool-up.sh installs it).
  testPathIgnorePatterns: ['/node_modules/', '/test/gnocchi-live/', '/test/package/', '/test/metrics/'],
  // …and `npm test` says so in one line at the end (test/gnocchi-live/note.mjs).
  globalTeardown: '<rootDir>/test/gnocchi-live/note.mjs',
  testTimeout: 30000,
};
