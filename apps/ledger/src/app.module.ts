import { Module, type DynamicModule } from '@nestjs/common';
import type { z } from 'zod';
import type { Logger } from '@audit/observability';
import { ServiceShellModule } from '@audit/service-shell';
import type { LedgerEnv } from './config';

export type LedgerConfig = z.output<z.ZodObject<typeof LedgerEnv>>;

/** The single writer of the tamper-evident, append-only ledger. */
@Module({})
export class AppModule {
  static forRoot(config: LedgerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'ledger',
          logger,
          config,
          serviceConfig: config,
          uses: { postgres: true, kafka: true, opensearch: false },
        }),
      ],
    };
  }
}
