process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Handlers log through Powertools; tests assert on responses, so keep the output readable.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * Jest runs the TypeScript sources as native ES modules (the @middy v7 packages are ESM-only), compiled by swc;
 * `npm test` starts node with --experimental-vm-modules. One DynamoDB Local serves the whole run (test/global-setup.mjs).
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  // The packages resolve to their sources, as tsconfig's `paths` make them for tsc and tsx (no build before a test).
  moduleNameMapper: {
    '^@service-registry/(contracts|client|cdk)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.mjs'],
};
