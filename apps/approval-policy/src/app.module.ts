import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { z } from 'zod';
import { JwtVerifier, jwtVerifierFromConfig } from '@audit/auth';
import { KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import type { Logger } from '@audit/observability';
import { KAFKA, readinessFrom, ServiceShellModule } from '@audit/service-shell';
import { APP_FILTER } from '@nestjs/core';
import { RecordApprovalHandler } from './approvals/record-approval/record-approval.handler';
import { RecordApprovalHttpController } from './approvals/record-approval/record-approval.http.controller';
import { OverdueReviewSweeper } from './break-glass/overdue-review.sweeper';
import { CLOCK, systemClock, type Clock } from './clock';
import type { ApprovalPolicyEnv } from './config';
import { InternalEventsPublisher } from './events/internal-events.publisher';
import { ReadRecorder } from './reads/read-recorder';
import { DecideGateHandler } from './gate/decide-gate/decide-gate.handler';
import { DecideGateHttpController } from './gate/decide-gate/decide-gate.http.controller';
import { Authenticator } from './http/authenticate';
import { ProblemFilter } from './http/problem.filter';
import { StrictJsonBody } from './http/strict-json-body';
import { ChangeViewRepository } from './ledger-view/change-view.repository';
import { CommittedEventsConsumer } from './ledger-view/committed-events.consumer';
import { PolicyRepository } from './policy/policy.repository';
import { PublishPolicyHandler } from './policy/publish-policy/publish-policy.handler';
import { PublishPolicyHttpController } from './policy/publish-policy/publish-policy.http.controller';

export type ApprovalPolicyConfig = z.output<z.ZodObject<typeof ApprovalPolicyEnv>>;

export interface ApprovalPolicyOverrides {
  clock?: Clock;
}

/** The connections this service opens and waits for at start (main.ts), and that decide its readiness. */
export const USES = { postgres: true, kafka: true, opensearch: false };

/** Risk-based approvals as code and the deploy gate; its decisions are audit events too. */
@Module({})
export class AppModule {
  static forRoot(config: ApprovalPolicyConfig, logger: Logger, overrides: ApprovalPolicyOverrides = {}): DynamicModule {
    const lifecycle = new KafkaLifecycle();
    const providers: Provider[] = [
      { provide: KafkaLifecycle, useValue: lifecycle },
      // A consumer partition that stops moving turns `/readyz` degraded, naming it.
      readinessFrom(lifecycle),
      {
        provide: KafkaPublisher,
        inject: [KAFKA],
        useFactory: (kafka: Kafka) => {
          const publisher = new KafkaPublisher(kafka, { namespace: config.KAFKA_TOPIC_NAMESPACE });
          lifecycle.addProducer(publisher);
          return publisher;
        },
      },
      {
        provide: JwtVerifier,
        useValue: jwtVerifierFromConfig(config),
      },
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      { provide: APP_FILTER, useValue: new ProblemFilter(logger) },
      StrictJsonBody,
      Authenticator,
      InternalEventsPublisher,
      ReadRecorder,
      ChangeViewRepository,
      PolicyRepository,
      CommittedEventsConsumer,
      PublishPolicyHandler,
      RecordApprovalHandler,
      DecideGateHandler,
      OverdueReviewSweeper,
    ];
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'approval-policy',
          logger,
          config,
          serviceConfig: config,
          uses: USES,
        }),
      ],
      controllers: [PublishPolicyHttpController, RecordApprovalHttpController, DecideGateHttpController],
      providers,
    };
  }
}
