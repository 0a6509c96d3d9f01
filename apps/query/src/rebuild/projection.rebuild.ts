import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { topicName } from '@audit/contracts';
import type { Pool } from '@audit/db';
import type { Kafka } from '@audit/kafka';
import { redactedSeqs } from '@audit/ledger-store';
import type { Logger } from '@audit/observability';
import type { ProjectionName, QueryConfig } from '../config';
import { OpenSearchEventsProjector } from '../projections/opensearch/opensearch-events.projector';
import { LifecycleProjector } from '../projections/postgres/lifecycle.projector';
import { withProjectorWriter } from '../projections/postgres/tenant-reader';
import { replayCommittedLog } from './committed-log.replay';

export interface RebuildReport {
  projection: ProjectionName;
  tenant: string;
  /** Checksums cover records up to this seq: the projection's position when the rebuild began. */
  upToSeq: number;
  before: { sha256: string; rows: number };
  after: { sha256: string; rows: number };
  replayed: number;
  same: boolean;
}

export interface RebuildDeps {
  config: QueryConfig;
  pool: Pool;
  kafka: Kafka;
  opensearch: OpenSearchClient;
  logger: Logger;
}

/**
 * Drops one tenant's rows of a projection and rebuilds them by replaying the committed log, then
 * compares checksums. Postgres does it all in one transaction that holds the tenant's lock (the live
 * projector waits, and a failed rebuild leaves the old rows in place). OpenSearch documents are
 * idempotent by `_id`, so the live projector may keep writing meanwhile.
 */
export async function rebuildProjection(deps: RebuildDeps, projection: ProjectionName, tenant: string): Promise<RebuildReport> {
  const topic = topicName('committed', deps.config.KAFKA_TOPIC_NAMESPACE);
  // The committed log still carries redacted payloads; each replayed retention run strips them again.
  const redactions = (t: string, from: number, to: number) => redactedSeqs(deps.pool, t, from, to);
  if (projection === 'postgres') {
    const projector = new LifecycleProjector(deps.pool, deps.logger, redactions);
    return withProjectorWriter(deps.pool, async (client) => {
      const upToSeq = await projector.lastSeq(client, tenant);
      const before = await projector.checksumIn(client, tenant, upToSeq);
      await projector.dropTenantIn(client, tenant);
      let replayed = 0;
      await replayCommittedLog(deps.kafka, topic, deps.logger, async (batch) => {
        const mine = batch.map((r) => r.value).filter((r) => r.event.tenant === tenant);
        replayed += (await projector.applyIn(client, mine)).applied;
      });
      const after = await projector.checksumIn(client, tenant, upToSeq);
      return { projection, tenant, upToSeq, before, after, replayed, same: before.sha256 === after.sha256 };
    });
  }
  const projector = new OpenSearchEventsProjector(deps.opensearch, deps.config.OPENSEARCH_INDEX_PREFIX, deps.logger, redactions);
  await projector.ensureTemplate();
  const upToSeq = await projector.lastSeq(tenant);
  const before = await projector.checksum(tenant, upToSeq);
  await projector.dropTenant(tenant);
  let replayed = 0;
  await replayCommittedLog(deps.kafka, topic, deps.logger, async (batch) => {
    const mine = batch.filter((r) => r.value.event.tenant === tenant);
    await projector.apply(mine);
    replayed += mine.length;
  });
  const after = await projector.checksum(tenant, upToSeq);
  return { projection, tenant, upToSeq, before, after, replayed, same: before.sha256 === after.sha256 };
}
