import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { activeLegalHolds, addLegalHold, releaseLegalHold } from '@audit/ledger-store';
import { UsageError, type CliCommand } from '../command';
import { withDatabase } from '../admin/database';
import { operatorIdentity, refuseBy } from '../admin/operator';
import { parseNow, parseTime, recordAdminEvent } from './retention/ledger-events';

export const holdCommand: CliCommand = {
  name: 'hold',
  summary: 'place, release or list legal holds that block retention (admin; recorded as legal_hold.changed)',
  help: `usage:
  audit-ledger hold add --tenant <t> --reason <text> [--change <id>] [--actor <id>] [--from <time>] [--to <time>]
  audit-ledger hold release --tenant <t> --id <hold id>
  audit-ledger hold list --tenant <t>

A hold covers the tenant's records matching every scope given (none = the whole tenant): a change, an
actor, a recording-time range [from, to). While it is active, retention neither redacts those records
nor deletes the OpenSearch months they fall in. Every add and release is recorded in the ledger as a
legal_hold.changed event (KAFKA_BROKERS required); the change happens only if that succeeds. Who
placed or released it is taken from the credentials (database login of DATABASE_URL and OS account),
not from a flag.

example:
  audit-ledger hold add --tenant acme --change CHG-1234 --reason 'litigation 2026-17'
`,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({
      args: rest,
      options: {
        tenant: { type: 'string' },
        reason: { type: 'string' },
        change: { type: 'string' },
        actor: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        id: { type: 'string' },
        by: { type: 'string' },
        now: { type: 'string' },
      },
      strict: true,
    });
    if (!values.tenant) throw new UsageError('give --tenant <tenant>');
    const tenant = values.tenant;
    refuseBy(values.by);
    const now = parseNow(values.now, io.clock);
    if (sub === 'list') {
      const holds = await withDatabase(io.env, (pool) => activeLegalHolds(pool, tenant));
      io.stdout(holds.length === 0 ? `${tenant}: no active legal hold\n` : holds.map((h) => `${JSON.stringify(h)}\n`).join(''));
      return 0;
    }
    if (!io.env.KAFKA_BROKERS) throw new UsageError('KAFKA_BROKERS must be set: every hold change is recorded in the ledger');
    if (sub === 'add') {
      if (!values.reason) throw new UsageError('give --reason');
      const by = await withDatabase(io.env, (pool) => operatorIdentity(pool));
      const hold = {
        id: randomUUID(),
        tenant,
        changeId: values.change ?? null,
        actorId: values.actor ?? null,
        from: values.from ? parseTime(values.from, '--from') : null,
        to: values.to ? parseTime(values.to, '--to') : null,
        reason: values.reason,
        createdBy: by,
        createdAt: now,
      };
      // Recorded first: a hold that exists without its event would be an unaudited act.
      await recordAdminEvent(io.env, { type: 'legal_hold.changed', tenant, actor: by, now, resourceId: `legal-hold/${hold.id}`, reason: hold.reason, details: { action: 'added', holdId: hold.id, changeId: hold.changeId, actorId: hold.actorId, from: hold.from?.toISOString() ?? null, to: hold.to?.toISOString() ?? null } });
      await withDatabase(io.env, (pool) => addLegalHold(pool, hold));
      io.stdout(`hold ${hold.id} placed on ${tenant}\n`);
      return 0;
    }
    if (sub === 'release') {
      if (!values.id) throw new UsageError('give --id <hold id>');
      const id = values.id;
      return withDatabase(io.env, async (pool) => {
        const by = await operatorIdentity(pool);
        const active = (await activeLegalHolds(pool, tenant)).find((h) => h.id === id);
        if (!active) {
          io.stderr(`no active hold ${id} on ${tenant}\n`);
          return 1;
        }
        await recordAdminEvent(io.env, { type: 'legal_hold.changed', tenant, actor: by, now, resourceId: `legal-hold/${id}`, details: { action: 'released', holdId: id } });
        await releaseLegalHold(pool, tenant, id, by, now);
        io.stdout(`hold ${id} on ${tenant} released\n`);
        return 0;
      });
    }
    throw new UsageError('give a subcommand: add, release or list');
  },
};
