import { describeServiceSmoke } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { IngestEnv } from '../src/config';

describeServiceSmoke({
  service: 'ingest',
  env: IngestEnv,
  module: (config, logger) => AppModule.forRoot(config, logger),
  uses: { postgres: true, kafka: true, opensearch: false },
});
