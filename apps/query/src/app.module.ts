import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { JwtVerifier, jwtVerifierFromConfig } from '@audit/auth';
import { KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import type { Logger } from '@audit/observability';
import { KAFKA, readinessFrom, ServiceShellModule } from '@audit/service-shell';
import { ALERTING_CONTROLLERS, ALERTING_PROVIDERS } from './alerting/alerting.providers';
import { ReadAccessAuthenticator } from './auth/read-access.authenticator';
import { ChangeStoryHandler } from './changes/change-story/change-story.handler';
import { ChangeStoryHttpController } from './changes/change-story/change-story.http.controller';
import { ListChangesHandler } from './changes/list-changes/list-changes.handler';
import { ListChangesHttpController } from './changes/list-changes/list-changes.http.controller';
import { CLOCK, ID_GENERATOR, systemClock, uuidv7Ids, type Clock, type IdGenerator } from './clock';
import type { QueryConfig } from './config';
import { EXPORT_CONTROLLERS, EXPORT_PROVIDERS } from './exports/exports.providers';
import { OutboundPolicy } from './outbound/outbound-policy';
import { ProjectionCatchUp } from './projections/catch-up/projection-catch-up';
import { ProjectionConsumers } from './projections/projection-consumers';
import { ProjectionStatusHandler } from './projections/projection-status/projection-status.handler';
import { ProjectionStatusHttpController } from './projections/projection-status/projection-status.http.controller';
import { AuditReadRecorder } from './reads/audit-read.recorder';
import { SearchEventsHandler } from './search/search-events/search-events.handler';
import { SearchEventsHttpController } from './search/search-events/search-events.http.controller';
import { SiemSinks } from './siem/siem-sinks';

export type { QueryConfig } from './config';

export interface QueryOverrides {
  clock?: Clock;
  newId?: IdGenerator;
}

/** The connections this service opens and waits for at start (main.ts), and that decide its readiness. */
export const USES = { postgres: true, kafka: true, opensearch: true };

/** The read side: projections, search, change stories (alerting and exports come later, issue 8). */
@Module({})
export class AppModule {
  static forRoot(config: QueryConfig, logger: Logger, overrides: QueryOverrides = {}): DynamicModule {
    const lifecycle = new KafkaLifecycle();
    const providers: Provider[] = [
      { provide: KafkaLifecycle, useValue: lifecycle },
      // A consumer partition that stops moving turns `/readyz` degraded, naming it.
      readinessFrom(lifecycle),
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      { provide: ID_GENERATOR, useValue: overrides.newId ?? uuidv7Ids },
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
      { provide: OutboundPolicy, useValue: new OutboundPolicy({ hosts: config.OUTBOUND_ALLOW_HOSTS, cidrs: config.OUTBOUND_ALLOW_CIDRS }) },
      ReadAccessAuthenticator,
      AuditReadRecorder,
      ProjectionConsumers,
      ProjectionCatchUp,
      SearchEventsHandler,
      ChangeStoryHandler,
      ListChangesHandler,
      ProjectionStatusHandler,
      ...ALERTING_PROVIDERS,
      ...EXPORT_PROVIDERS,
      SiemSinks,
    ];
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'query',
          logger,
          config,
          serviceConfig: config,
          uses: USES,
        }),
      ],
      controllers: [SearchEventsHttpController, ChangeStoryHttpController, ListChangesHttpController, ProjectionStatusHttpController, ...ALERTING_CONTROLLERS, ...EXPORT_CONTROLLERS],
      providers,
    };
  }
}
