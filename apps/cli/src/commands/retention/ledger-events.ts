import { AcceptedEvent, uuidv7 } from '@audit/contracts';
import { createKafka, KafkaPublisher } from '@audit/kafka';
import { parseServiceSecrets, serviceSignedMessage } from '@audit/ledger-core';
import { createLogger } from '@audit/observability';
import { UsageError } from '../../command';

/**
 * Records an administrative act (retention run, legal hold change) in the ledger: like the services'
 * trusted internal emitters, the CLI builds the accepted event itself and publishes it to
 * `audit.ingested.v1` (KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE) with the deployment's service credential
 * (SERVICE_CREDENTIAL_SECRET), without which the ledger refuses it. Its provenance names the CLI and the
 * operator it was run for (`subject`, as given: the CLI's credential is the database and the secret, not
 * a personal login). Refusing to act unrecorded is the caller's job.
 */
export async function recordAdminEvent(
  env: NodeJS.ProcessEnv,
  event: { type: 'retention.applied' | 'legal_hold.changed' | 'ledger.position_reset'; tenant: string; actor: string; now: Date; resourceId: string; reason?: string; details: Record<string, unknown> },
): Promise<AcceptedEvent> {
  const brokers = env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: the act cannot be recorded in the ledger');
  if (!env.SERVICE_CREDENTIAL_SECRET) throw new Error('SERVICE_CREDENTIAL_SECRET is not set: the ledger would refuse the record of the act');
  const secrets = parseServiceSecrets(env.SERVICE_CREDENTIAL_SECRET);
  const at = event.now.toISOString();
  const accepted = AcceptedEvent.parse({
    version: 1,
    type: event.type,
    occurredAt: at,
    actor: { id: event.actor, type: 'user', roles: ['admin'], teams: [] },
    resource: { kind: 'audit-ledger', id: event.resourceId, environment: 'audit' },
    source: { system: 'cli' },
    outcome: 'succeeded',
    ...(event.reason ? { reason: event.reason } : {}),
    details: event.details,
    tenant: event.tenant,
    id: uuidv7(event.now),
    receivedAt: at,
    provenance: { kind: 'service', id: 'audit-ledger-cli', auth: 'service-credential', scopes: [], subject: event.actor, via: 'cli' },
  });
  const kafka = createKafka({ brokers: brokers.split(','), clientId: 'audit-ledger-cli', logger: createLogger('cli', 'error') });
  const publisher = new KafkaPublisher(kafka, { ...(env.KAFKA_TOPIC_NAMESPACE ? { namespace: env.KAFKA_TOPIC_NAMESPACE } : {}) });
  try {
    await publisher.publish('ingested', [{ key: accepted.tenant, ...serviceSignedMessage(secrets, accepted) }], { timeoutMs: 10_000 });
  } finally {
    await publisher.disconnect();
  }
  return accepted;
}

/** An RFC 3339 time with a zone (`--from`, `--to`); `name` is the flag, for the error. */
export function parseTime(value: string, name = '--now'): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(at.getTime())) throw new Error(`${name} must be an RFC 3339 time with a zone: ${value}`);
  return at;
}

/**
 * `--now` for replays: an instant no later than the clock. Ahead of it, retention would redact records
 * before their time (a run "in 2030" expires everything younger than the policy allows) and a hold would
 * be dated when it did not exist.
 */
export function parseNow(value: string | undefined, clock: () => Date = () => new Date()): Date {
  const now = clock();
  if (value === undefined) return now;
  const at = parseTime(value);
  if (at.getTime() > now.getTime()) throw new UsageError(`--now ${value} is ahead of the clock (${now.toISOString()}); only the present or the past may be given`);
  return at;
}
