import { Module, type DynamicModule } from '@nestjs/common';
import type { z } from 'zod';
import type { Logger } from '@audit/observability';
import { ServiceShellModule } from '@audit/service-shell';
import type { QueryEnv } from './config';

export type QueryConfig = z.output<z.ZodObject<typeof QueryEnv>>;

/** The read side: projections, search, change stories, alerting and exports. */
@Module({})
export class AppModule {
  static forRoot(config: QueryConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'query',
          logger,
          config,
          serviceConfig: config,
          uses: { postgres: true, kafka: true, opensearch: true },
        }),
      ],
    };
  }
}
