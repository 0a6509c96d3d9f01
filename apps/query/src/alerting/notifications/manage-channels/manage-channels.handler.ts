import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { Principal } from '@audit/auth';
import { AcceptedEvent, toFieldIssues } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { KafkaPublisher } from '@audit/kafka';
import { InjectConfig, InjectPool } from '@audit/service-shell';
import type { QueryConfig } from '../../../config';
import { signedLedgerMessages } from '../../../ledger-events/signed-ledger-messages';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../../../clock';
import { fail, ok, Problems, type Result } from '../../../http/problem';
import { OutboundPolicy } from '../../../outbound/outbound-policy';
import { withProjectorWriter, withTenantReader } from '../../../projections/postgres/tenant-reader';
import { invalidDefinition } from '../../alerting-access';
import { RULE_ID } from '../../rules/alert-rule.schema';
import { NotRecorded } from '../../rules/manage-rules/manage-rules.handler';
import { ruleChangedEvent } from '../../rules/manage-rules/rule-changed.event';
import { CHANNEL_FORMATS } from '../notification-payload';

export const ChannelBody = z.strictObject({
  url: z.string().url().max(2048).refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
  format: z.enum(CHANNEL_FORMATS).default('json'),
  /** HMAC key of the signature; at least 32 characters (e.g. `openssl rand -hex 32`). Write-only. */
  secret: z.string().min(32).max(512),
});

/** Webhook channels: the secret is stored for signing and never returned or recorded in events. */
@Injectable()
export class ManageChannelsHandler {
  constructor(
    @InjectPool() private readonly pool: Pool,
    private readonly publisher: KafkaPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
    @InjectConfig() private readonly config: QueryConfig,
    private readonly outbound: OutboundPolicy,
  ) {}

  async put(principal: Principal, name: string, body: unknown): Promise<Result<{ name: string; url: string; format: string; eventId: string }>> {
    if (!RULE_ID.test(name)) return fail(Problems.badParameter('name', `must match ${RULE_ID.source}`));
    const parsed = ChannelBody.safeParse(body);
    if (!parsed.success) return fail(invalidDefinition('channel', toFieldIssues(parsed.error)));
    const { url, format, secret } = parsed.data;
    // Checked again right before every delivery (DNS may change); refusing here tells the admin now.
    const refused = await this.outbound.check(url);
    if (refused) return fail(invalidDefinition('channel', [{ path: 'url', message: `${refused.rule}: ${refused.message}` }]));
    const now = this.clock();
    const event = AcceptedEvent.parse(ruleChangedEvent(principal, { kind: 'channel', id: name, change: 'updated', definition: { url, format } }, this.newId(now), now));
    try {
      await withProjectorWriter(this.pool, async (client) => {
        await client.query(
          `INSERT INTO query.alert_channels (tenant, name, url, format, secret, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant, name) DO UPDATE SET url = EXCLUDED.url, format = EXCLUDED.format, secret = EXCLUDED.secret, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at`,
          [principal.tenant, name, url, format, secret, principal.sub, now.toISOString()],
        );
        await this.publisher.publish('ingested', signedLedgerMessages(this.config.SERVICE_CREDENTIAL_SECRET, [event]), { timeoutMs: 5_000 }).catch((error: unknown) => {
          throw new NotRecorded(error);
        });
      });
    } catch (error) {
      if (error instanceof NotRecorded) return fail(Problems.unavailable('the channel change could not be recorded in the audit log; nothing was changed'));
      throw error;
    }
    return ok({ name, url, format, eventId: event.id });
  }

  async list(principal: Principal): Promise<{ name: string; url: string; format: string; changedBy: string; changedAt: string }[]> {
    const { rows } = await withTenantReader(this.pool, principal.tenant, (c) =>
      c.query<{ name: string; url: string; format: string; changed_by: string; changed_at: Date }>('SELECT name, url, format, changed_by, changed_at FROM query.alert_channels ORDER BY name'),
    );
    return rows.map((r) => ({ name: r.name, url: r.url, format: r.format, changedBy: r.changed_by, changedAt: r.changed_at.toISOString() }));
  }
}
