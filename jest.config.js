// Three sizes of test, one runner (STYLE.md): `unit` (*.spec.ts beside the code, boundaries faked),
// `medium` (*.int-spec.ts: real PostgreSQL and the real Docker engine), `e2e` (test/**: processes
// started as a user would). @swc/jest transpiles; `npm run typecheck` is the type check.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const moduleNameMapper = {
  '^@tessera/protocol$': '<rootDir>/libs/protocol/src',
  '^@tessera/workloads$': '<rootDir>/libs/workloads/src',
  '^@tessera/crypto$': '<rootDir>/libs/crypto/src',
  '^@tessera/testing$': '<rootDir>/libs/testing/src',
  '^@tessera/sandbox$': '<rootDir>/libs/sandbox/src',
  '^@tessera/chain$': '<rootDir>/libs/chain/src',
};
const base = {
  transform: { '^.+\\.ts$': swc },
  // The dashboard's unit tests run in vitest, with the dashboard's own (browser) build settings.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/dashboard/'],
  moduleNameMapper,
  testEnvironment: 'node',
  rootDir: __dirname,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,bench}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'medium',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/medium.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/e2e.ts'],
    },
  ],
};
