import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@audit/auth';
import { CLOCK, type Clock } from '../clock';
import { InternalEventsPublisher } from '../events/internal-events.publisher';
import { Problems, ProblemError } from '../http/problem';

export interface PolicyRead {
  /** Route template, e.g. `/v1/changes/{changeId}/decision`. */
  endpoint: string;
  /** What was asked (path parameters), as the reader sent it. */
  query: Record<string, string | number>;
  resultCount: number;
}

/**
 * Records a read of decisions and policies as an `audit.read` event before the answer leaves, as the query
 * service does for its reads. Rides the publisher's group commit, so concurrent reads share one Kafka send.
 * If it cannot be recorded the reader gets 503 and no data.
 */
@Injectable()
export class ReadRecorder {
  constructor(
    private readonly events: InternalEventsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(principal: Principal, read: PolicyRead): Promise<void> {
    const now = this.clock();
    const event = this.events.stamp(
      principal.tenant,
      {
        type: 'audit.read',
        occurredAt: now.toISOString(),
        actor: { id: principal.sub, type: 'user', roles: [...principal.roles], teams: [...principal.groups], ...(principal.name ? { displayName: principal.name } : {}) },
        resource: { kind: 'audit-query', id: read.endpoint, environment: 'audit' },
        outcome: 'succeeded',
        details: { endpoint: read.endpoint, query: read.query, resultCount: read.resultCount },
      },
      now,
    );
    try {
      await this.events.publish([event]);
    } catch {
      throw new ProblemError(Problems.unavailable('the read could not be recorded in the audit log; nothing was returned'));
    }
  }
}
