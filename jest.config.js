/** Jest runs the TypeScript sources through ts-jest as ES modules (node --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The real-Gnocchi suite needs a server: `npm run test:gnocchi` runs it (see README).
  testPathIgnorePatterns: ['/node_modules/', '/test/gnocchi-live/'],
  testTimeout: 30000,
};
