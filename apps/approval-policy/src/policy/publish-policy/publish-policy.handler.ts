import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '@audit/contracts';
import type { Principal } from '@audit/auth';
import { InternalEventsPublisher } from '../../events/internal-events.publisher';
import { Problems, type Problem } from '../../http/problem';
import { CLOCK, type Clock } from '../../clock';
import { compilePolicy } from '../compile-policy';
import { PolicyRepository } from '../policy.repository';

export type PublishPolicyResult =
  | { ok: true; value: { version: number | null; digest: string; eventId: string | null; dryRun: boolean; rules: string[] } }
  | { ok: false; problem: Problem };

/** The whole document goes into the event when it fits the event's `details` bound; otherwise its digest says which. */
const MAX_DOCUMENT_IN_EVENT = 12 * 1024;

@Injectable()
export class PublishPolicyHandler {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly events: InternalEventsPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(admin: Principal, body: unknown, dryRun: boolean): Promise<PublishPolicyResult> {
    const compiled = compilePolicy(body);
    if (!compiled.ok) return { ok: false, problem: Problems.invalidPolicy(compiled.issues) };
    const { policy } = compiled;
    const rules = policy.rules.map((r) => r.name);
    if (dryRun) return { ok: true, value: { version: null, digest: policy.digest, eventId: null, dryRun: true, rules } };

    const now = this.clock();
    const eventId = uuidv7(now);
    const documentJson = JSON.stringify(policy.document);
    const version = await this.policies.append({ tenant: admin.tenant, policy, publishedBy: admin.sub, publishedAt: now, eventId }, async (v) => {
      const event = this.events.stamp(
        admin.tenant,
        {
          type: 'policy.published',
          occurredAt: now.toISOString(),
          actor: { id: admin.sub, type: 'user', roles: admin.roles, teams: admin.groups },
          resource: { kind: 'approval-policy', id: `${admin.tenant}/approval-policy`, environment: 'all' },
          reason: `approval policy version ${v} (${rules.length} rules)`,
          details: {
            policyVersion: v,
            policyDigest: policy.digest,
            rules,
            ...(documentJson.length <= MAX_DOCUMENT_IN_EVENT ? { document: JSON.parse(documentJson) as Record<string, unknown> } : {}),
          },
        },
        now,
        eventId,
      );
      await this.events.publish([event]);
    });
    return { ok: true, value: { version, digest: policy.digest, eventId, dryRun: false, rules } };
  }
}
