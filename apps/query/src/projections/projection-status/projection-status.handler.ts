import { Injectable } from '@nestjs/common';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Principal } from '@audit/auth';
import type { Pool } from '@audit/db';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectOpenSearch, InjectPool } from '@audit/service-shell';
import type { QueryConfig } from '../../config';
import { ok, type Result } from '../../http/problem';
import { AuditReadRecorder } from '../../reads/audit-read.recorder';
import { OpenSearchEventsProjector } from '../opensearch/opensearch-events.projector';
import { LifecycleProjector } from '../postgres/lifecycle.projector';
import { withTenantReader } from '../postgres/tenant-reader';

export interface ProjectionStatus {
  tenant: string;
  postgres: { lastSeq: number; checksum: { sha256: string; rows: number } };
  opensearch: { lastSeq: number; checksum: { sha256: string; rows: number } };
}

/** `GET /v1/projections/status`: how far each projection is for the caller's tenant, and its checksum. */
@Injectable()
export class ProjectionStatusHandler {
  constructor(
    @InjectPool() private readonly pool: Pool,
    @InjectOpenSearch() private readonly client: OpenSearchClient,
    @InjectConfig() private readonly config: QueryConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly reads: AuditReadRecorder,
  ) {}

  async execute(principal: Principal): Promise<Result<ProjectionStatus>> {
    const tenant = principal.tenant;
    const lifecycle = new LifecycleProjector(this.pool, this.logger);
    const postgres = await withTenantReader(this.pool, tenant, async (client) => {
      const lastSeq = await lifecycle.lastSeq(client, tenant);
      return { lastSeq, checksum: await lifecycle.checksumIn(client, tenant, lastSeq) };
    });
    const search = new OpenSearchEventsProjector(this.client, this.config.OPENSEARCH_INDEX_PREFIX, this.logger);
    const osLast = await search.lastSeq(tenant);
    const status = { tenant, postgres, opensearch: { lastSeq: osLast, checksum: await search.checksum(tenant, osLast) } };
    const recorded = await this.reads.record({ principal, endpoint: '/v1/projections/status', query: {}, resultCount: 1 });
    return recorded.ok ? ok(status) : recorded;
  }
}
