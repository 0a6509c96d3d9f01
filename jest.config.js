// One jest run, two projects: fast unit specs beside the code, and integration specs that talk to the
// real Kafka, Postgres and OpenSearch (started once in globalSetup).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${target}`,
  ]),
);

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
  },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|js)$': swc },
  // ESM-only packages are compiled to CommonJS for jest (Node itself loads them with require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!(jose|@marcbachmann/cel-js)/)'],
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/.local/', '<rootDir>/dist/'],
};

module.exports = {
  // Integration specs wait on real brokers and indices; unit specs finish far below this.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools,deploy}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/jest.global-setup.js',
      globalTeardown: '<rootDir>/jest.global-teardown.js',
    },
  ],
};
