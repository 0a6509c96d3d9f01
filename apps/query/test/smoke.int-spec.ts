import { describeServiceSmoke } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { QueryEnv } from '../src/config';

describeServiceSmoke({
  service: 'query',
  env: QueryEnv,
  // No projectors: the smoke test checks the shell, and must not consume the shared un-namespaced topic.
  module: (config, logger) => AppModule.forRoot({ ...config, QUERY_PROJECTORS: [] }, logger),
  uses: { postgres: true, kafka: true, opensearch: true },
  readinessChecks: ['consumers'],
  migratedTable: 'query.changes',
});
