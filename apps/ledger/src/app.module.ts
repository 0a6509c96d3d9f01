import { Module, type DynamicModule } from '@nestjs/common';
import type { z } from 'zod';
import { jwtVerifierFromConfig } from '@audit/auth';
import type { Logger } from '@audit/observability';
import { ServiceShellModule } from '@audit/service-shell';
import type { LedgerEnv } from './config';
import { LedgerDocsHttpController } from './docs/docs.http.controller';
import { SigningKeysProvider } from './keys/signing-keys.provider';
import { LedgerPipeline } from './ledger.pipeline';
import { JWT_VERIFIER, LedgerProofsHttpController } from './proofs/ledger-proofs.http.controller';
import { LedgerProofsService } from './proofs/ledger-proofs.service';
import { LedgerReadsRecorder, READS_CLOCK } from './reads/ledger-reads.recorder';
import { LedgerVerifierService } from './verification/ledger-verifier.service';
import { VerificationHttpController } from './verification/verification.http.controller';

export type LedgerConfig = z.output<z.ZodObject<typeof LedgerEnv>>;

/** The connections this service opens and waits for at start (main.ts), and that decide its readiness. */
export const USES = { postgres: true, kafka: true, opensearch: false };

/** The single writer of the tamper-evident, append-only ledger, and its proof API. */
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
          uses: USES,
          dbRole: config.LEDGER_DB_ROLE,
        }),
      ],
      controllers: [LedgerProofsHttpController, LedgerDocsHttpController, VerificationHttpController],
      providers: [
        SigningKeysProvider,
        LedgerPipeline,
        LedgerProofsService,
        LedgerVerifierService,
        LedgerReadsRecorder,
        { provide: READS_CLOCK, useValue: () => new Date() },
        {
          provide: JWT_VERIFIER,
          useValue: jwtVerifierFromConfig(config),
        },
      ],
    };
  }
}
