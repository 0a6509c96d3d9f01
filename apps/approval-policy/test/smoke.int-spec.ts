import { describeServiceSmoke } from '@audit/testing';
import { AppModule } from '../src/app.module';
import { ApprovalPolicyEnv } from '../src/config';

describeServiceSmoke({
  service: 'approval-policy',
  env: ApprovalPolicyEnv,
  module: (config, logger) => AppModule.forRoot(config, logger),
  uses: { postgres: true, kafka: true, opensearch: false },
  readinessChecks: ['consumers'],
});
