import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { KafkaPublisher, type Kafka } from '@audit/kafka';
import { KafkaLifecycle } from '@audit/kafka/nest';
import type { Logger } from '@audit/observability';
import { KAFKA, ServiceShellModule } from '@audit/service-shell';
import { AdapterAcceptor } from './adapters/adapter-acceptor';
import { GithubWebhookHttpController } from './adapters/github/github-webhook.http.controller';
import { K8sAuditHttpController } from './adapters/k8s/k8s-audit.http.controller';
import { TerraformPlanHttpController } from './adapters/terraform/terraform-plan.http.controller';
import { ApiKeyRepository } from './auth/api-key.repository';
import { AUTH_OPTIONS, EmitterAuthenticator, type AuthOptions } from './auth/emitter-authenticator';
import { CLOCK, ID_GENERATOR, systemClock, uuidv7Ids, type Clock, type IdGenerator } from './clock';
import { DEV_SECRET_SCAN_SALT, type IngestConfig } from './config';
import { DocsHttpController } from './docs/docs.http.controller';
import { AcceptEventsHandler, OVERLOADED_RETRY_AFTER_S, SECRET_SCANNER, UNAVAILABLE_RETRY_AFTER_S } from './events/accept-events/accept-events.handler';
import { secretScannerFromConfig } from './events/secret-scan/secret-scanner';
import { AcceptEventsHttpController } from './events/accept-events/accept-events.http.controller';
import { ConsumeIntakeConsumer } from './intake/consume-intake/consume-intake.consumer';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { AcceptedEventsPublisher, PUBLISH_OPTIONS, type PublishOptions } from './publishing/accepted-events.publisher';
import { WebhookSecretRepository } from './webhook-secrets/webhook-secret.repository';

export type { IngestConfig } from './config';

export interface IngestOverrides {
  clock?: Clock;
  newId?: IdGenerator;
}

/** The connections this service opens and waits for at start (main.ts), and that decide its readiness. */
export const USES = { postgres: true, kafka: true, opensearch: false };

/** The only door in: authenticates emitters, validates events and hands them to Kafka. */
@Module({})
export class AppModule {
  static forRoot(config: IngestConfig, logger: Logger, overrides: IngestOverrides = {}): DynamicModule {
    const lifecycle = new KafkaLifecycle();
    const providers: Provider[] = [
      { provide: KafkaLifecycle, useValue: lifecycle },
      {
        provide: KafkaPublisher,
        inject: [KAFKA],
        useFactory: (kafka: Kafka) => {
          const publisher = new KafkaPublisher(kafka, { namespace: config.KAFKA_TOPIC_NAMESPACE });
          lifecycle.addProducer(publisher);
          return publisher;
        },
      },
      { provide: CLOCK, useValue: overrides.clock ?? systemClock },
      { provide: ID_GENERATOR, useValue: overrides.newId ?? uuidv7Ids },
      {
        provide: PUBLISH_OPTIONS,
        useValue: {
          timeoutMs: config.PUBLISH_TIMEOUT_MS,
          maxPendingEvents: config.PUBLISH_MAX_PENDING_EVENTS,
          maxEventsPerSend: config.PUBLISH_MAX_EVENTS_PER_SEND,
          serviceSecrets: config.SERVICE_CREDENTIAL_SECRET,
        } satisfies PublishOptions,
      },
      { provide: UNAVAILABLE_RETRY_AFTER_S, useValue: config.UNAVAILABLE_RETRY_AFTER_S },
      { provide: OVERLOADED_RETRY_AFTER_S, useValue: config.OVERLOADED_RETRY_AFTER_S },
      { provide: SECRET_SCANNER, useValue: secretScannerFromConfig(config, DEV_SECRET_SCAN_SALT) },
      {
        provide: AUTH_OPTIONS,
        useValue: {
          cacheMs: config.API_KEY_CACHE_MS,
          ratePerSecond: config.RATE_LIMIT_PER_SECOND,
          burst: config.RATE_LIMIT_BURST,
          unavailableRetryAfterS: config.UNAVAILABLE_RETRY_AFTER_S,
        } satisfies AuthOptions,
      },
      ApiKeyRepository,
      EmitterAuthenticator,
      IdempotencyRepository,
      AcceptedEventsPublisher,
      AcceptEventsHandler,
      AdapterAcceptor,
      WebhookSecretRepository,
      ConsumeIntakeConsumer,
    ];
    return {
      module: AppModule,
      imports: [
        ServiceShellModule.forRoot({
          service: 'ingest',
          logger,
          config,
          serviceConfig: config,
          uses: USES,
        }),
      ],
      controllers: [DocsHttpController, AcceptEventsHttpController, GithubWebhookHttpController, TerraformPlanHttpController, K8sAuditHttpController],
      providers,
    };
  }
}
