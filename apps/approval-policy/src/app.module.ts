import { Module, type DynamicModule } from '@nestjs/common';
import type { z } from 'zod';
import type { Logger } from '@audit/observability';
import { ServiceShellModule } from '@audit/service-shell';
import type { ApprovalPolicyEnv } from './config';

export type ApprovalPolicyConfig = z.output<z.ZodObject<typeof ApprovalPolicyEnv>>;

/** Risk-based approvals as code and the deploy gate; its decisions are audit events too. */
@Module({})
export class AppModule {
  static forRoot(config: ApprovalPolicyConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'approval-policy',
          logger,
          config,
          serviceConfig: config,
          uses: { postgres: true, kafka: true, opensearch: false },
        }),
      ],
    };
  }
}
