import { parseArgs } from 'node:util';
import { z } from 'zod';
import { tenantId, topicName } from '@audit/contracts';
import { UsageError, type CliCommand } from '../command';
import { withDatabase } from '../admin/database';
import { operatorIdentity, refuseBy } from '../admin/operator';
import { parseNow, recordAdminEvent } from './retention/ledger-events';

const offset = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a whole number ≥ 0');

const ResetArgs = z.strictObject({
  topic: z.string().min(1).max(249),
  partition: z.string().regex(/^(0|[1-9][0-9]{0,5})$/, 'must be a whole number ≥ 0').transform(Number),
  group: z.string().min(1).max(255),
  to: offset,
  reason: z.string().min(1).max(4096),
  tenant: tenantId,
});

export const ledgerCommand: CliCommand = {
  name: 'ledger',
  summary: 'operate the ledger writer: reset a partition position after a topic was recreated (admin; recorded)',
  help: `usage:
  audit-ledger ledger reset-position --partition <n> --reason <text>
      [--topic <name>] [--group <consumer group>] [--to <offset>] [--tenant <log>] [--now <time>]

The ledger stores, per partition of audit.ingested.v1, the next offset it will write (in the same
transaction as the records). If the topic is recreated or the Kafka cluster replaced while Postgres keeps
the ledger, the new topic's offsets start again below that position. The ledger then refuses to skip
anything: the partition is held, /readyz names it, and its log says to run this command. It sets the
stored position to --to (default 0: the new topic's first offset; events already in the ledger are
recognised by id and never written twice), and the held partition continues within seconds.

The reset is recorded first, as a ledger.position_reset event (old and new position, --reason, and the operator taken from
the credentials: the database login and the OS account, never a flag) in
the log of --tenant (default: system); KAFKA_BROKERS and DATABASE_URL are required. --topic defaults
to the ingested topic of KAFKA_TOPIC_NAMESPACE, --group to the ledger's group (LEDGER_CONSUMER_GROUP,
default ledger-writer, prefixed with the namespace as the ledger does).

example:
  audit-ledger ledger reset-position --partition 0 --reason 'Kafka cluster migrated 2026-12-04'
`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== 'reset-position') throw new UsageError('give a subcommand: reset-position');
    const { values } = parseArgs({
      args: rest,
      options: {
        topic: { type: 'string' },
        partition: { type: 'string' },
        group: { type: 'string' },
        to: { type: 'string', default: '0' },
        by: { type: 'string' },
        reason: { type: 'string' },
        tenant: { type: 'string', default: 'system' },
        now: { type: 'string' },
      },
      strict: true,
    });
    const ns = io.env.KAFKA_TOPIC_NAMESPACE ?? '';
    const group = io.env.LEDGER_CONSUMER_GROUP ?? 'ledger-writer';
    const parsed = ResetArgs.safeParse({
      topic: values.topic ?? topicName('ingested', ns),
      partition: values.partition,
      group: values.group ?? (ns ? `${ns}.${group}` : group),
      to: values.to,
      reason: values.reason,
      tenant: values.tenant,
    });
    refuseBy(values.by);
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
    const a = parsed.data;
    if (!io.env.KAFKA_BROKERS) throw new UsageError('KAFKA_BROKERS must be set: the reset is recorded in the ledger');
    const now = parseNow(values.now);
    return withDatabase(io.env, async (pool) => {
      const { rows } = await pool.query<{ next_offset: string }>('SELECT next_offset FROM ledger.consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3', [a.group, a.topic, a.partition]);
      const from = rows[0]?.next_offset;
      if (from === undefined) {
        io.stderr(`no stored position for group ${a.group}, topic ${a.topic}, partition ${a.partition}: nothing to reset\n`);
        return 1;
      }
      const by = await operatorIdentity(pool);
      // Recorded first: a position moved without its event would be an unaudited act.
      const event = await recordAdminEvent(io.env, {
        type: 'ledger.position_reset',
        tenant: a.tenant,
        actor: by,
        now,
        resourceId: `${a.topic}/${a.partition}`,
        reason: a.reason,
        details: { group: a.group, topic: a.topic, partition: a.partition, from, to: a.to },
      });
      await pool.query('UPDATE ledger.consumer_offsets SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3', [a.group, a.topic, a.partition, a.to]);
      io.stdout(`${a.topic} partition ${a.partition} (group ${a.group}): position ${from} → ${a.to}; recorded as ${event.id} in ${a.tenant}\n`);
      return 0;
    });
  },
};
