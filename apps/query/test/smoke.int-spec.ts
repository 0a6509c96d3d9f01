import { describeServiceSmoke } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { QueryEnv } from '../src/config';

describeServiceSmoke({
  service: 'query',
  env: QueryEnv,
  module: (config, logger) => AppModule.forRoot(config, logger),
  uses: { postgres: true, kafka: true, opensearch: true },
});
