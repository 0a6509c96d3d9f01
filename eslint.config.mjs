import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const IO_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'child_process', 'node:child_process', 'dgram', 'node:dgram'];
const FRAMEWORKS = ['@nestjs/*', 'fastify', 'kafkajs', 'pg', '@opensearch-project/*', 'pino', 'prom-client'];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', '.nx/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // Services use the infrastructure libs, the pure core and the contracts; never another service.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:infra', 'type:core', 'type:domain', 'type:contracts'] },
            // Infrastructure libs wrap one technology each and know the contracts and the pure core, nothing of the apps.
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:infra', 'type:core', 'type:contracts'] },
            // The pure core and the contracts stand alone, and import no framework or I/O library.
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'], bannedExternalImports: [...FRAMEWORKS, 'zod'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: FRAMEWORKS },
            // The domain model (change-lifecycle) is pure like the core, and speaks in the contracts' event types.
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:core', 'type:contracts'], bannedExternalImports: [...FRAMEWORKS, 'zod'] },
            // Test tooling may reach everything but the apps.
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:infra', 'type:core', 'type:contracts', 'type:testing', 'type:tooling'] },
            // Operational scripts (migrations, demo data) use the infrastructure libs.
            { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:infra', 'type:core', 'type:contracts', 'type:tooling'] },
            // The CLI talks to the API or reads Postgres; it never embeds a service or Nest.
            { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:core', 'type:contracts', 'type:infra'], bannedExternalImports: ['@nestjs/*', 'kafkajs', '@opensearch-project/*'] },
          ],
        },
      ],
    },
  },
  {
    // The pure core does no I/O: Nx does not police Node built-ins, so name them here.
    files: ['libs/ledger-core/src/**/*.ts', 'libs/change-lifecycle/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: IO_MODULES.map((name) => ({ name, message: 'the pure core (ledger-core, change-lifecycle) does no I/O' })) }],
    },
  },
  {
    // Plain JavaScript run by Node directly: the launcher (it must work before npm install, so node:
    // builtins only), the bin, the jest and vite configs. ES modules and CommonJS each get their globals.
    files: ['**/*.mjs', '**/*.js'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2024, globals: { ...globals.node } },
    rules: {
      ...js.configs.recommended.rules,
      '@typescript-eslint/no-require-imports': 'off',
      // typescript-eslint's rule below reports the same findings; one report each.
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // Tests and benchmark scripts may use anything the testing lib offers.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/test/**/*.ts', '**/bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
