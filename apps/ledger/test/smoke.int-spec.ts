import { describeServiceSmoke } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { LedgerEnv } from '../src/config';

describeServiceSmoke({
  service: 'ledger',
  env: LedgerEnv,
  module: (config, logger) => AppModule.forRoot(config, logger),
  uses: { postgres: true, kafka: true, opensearch: false },
  readinessChecks: ['consumer', 'position'],
});
