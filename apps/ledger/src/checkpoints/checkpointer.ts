import type { Pool } from 'pg';
import { withTransaction } from '@audit/db';
import type { KafkaPublisher } from '@audit/kafka';
import { checkpointNoteHash, MerkleFrontier, signCheckpoint, type CheckpointSigner } from '@audit/ledger-core';
import type { Logger } from '@audit/observability';

export interface CheckpointPolicy {
  origin: string;
  /** Only tenants this deployment writes (heads created under its topic namespace). */
  namespace: string;
  /** Re-sign an idle tenant's head after this long, so a stopped log is visible. */
  heartbeatMs: number;
}

export interface SignedCheckpoint {
  tenant: string;
  size: number;
  rootHash: Buffer;
  note: string;
  signedAt: Date;
}

/**
 * Signs checkpoints (tree size, root, time, hash of the previous checkpoint) for tenants whose log grew
 * since their last checkpoint, or whose last checkpoint is older than the heartbeat. Holds the tenant's
 * head row lock while signing, so the size and root it signs are exactly what is stored.
 */
export class Checkpointer {
  constructor(
    private readonly pool: Pool,
    private readonly signer: CheckpointSigner,
    private readonly policy: CheckpointPolicy,
    private readonly publisher: KafkaPublisher | undefined,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private ticking: Promise<SignedCheckpoint[]> | undefined;

  originOf(tenant: string): string {
    return `${this.policy.origin}/tenant/${tenant}`;
  }

  /** Checkpoints every tenant that is due; overlapping calls share one pass. Returns what it signed. */
  tick(): Promise<SignedCheckpoint[]> {
    this.ticking ??= this.tickOnce().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async tickOnce(): Promise<SignedCheckpoint[]> {
    const now = this.clock();
    const { rows } = await this.pool.query<{ tenant: string }>(
      `SELECT h.tenant FROM ledger.heads h
         LEFT JOIN LATERAL (SELECT size, signed_at FROM ledger.checkpoints c WHERE c.tenant = h.tenant ORDER BY id DESC LIMIT 1) c ON true
        WHERE h.namespace = $2 AND h.seq > 0 AND (c.size IS NULL OR c.size < h.seq OR c.signed_at <= $1)`,
      [new Date(now.getTime() - this.policy.heartbeatMs), this.policy.namespace],
    );
    const signed: SignedCheckpoint[] = [];
    for (const { tenant } of rows) {
      const cp = await this.checkpointTenant(tenant);
      if (cp) signed.push(cp);
    }
    await this.publish(signed);
    return signed;
  }

  async checkpointTenant(tenant: string): Promise<SignedCheckpoint | undefined> {
    return withTransaction(this.pool, async (tx) => {
      const head = await tx.query<{ seq: string; frontier: unknown }>('SELECT seq, frontier FROM ledger.heads WHERE tenant = $1 FOR UPDATE', [tenant]);
      const row = head.rows[0];
      if (!row || Number(row.seq) === 0) return undefined;
      const frontier = MerkleFrontier.fromJSON(row.frontier);
      const last = await tx.query<{ note_hash: Buffer; signed_at: Date }>(
        'SELECT note_hash, signed_at FROM ledger.checkpoints WHERE tenant = $1 ORDER BY id DESC LIMIT 1',
        [tenant],
      );
      // Time is read under the head lock and never goes back, even across instances with skewed clocks.
      const previousAt = last.rows[0]?.signed_at.getTime() ?? 0;
      const now = new Date(Math.max(this.clock().getTime(), previousAt));
      const rootHash = frontier.root();
      const note = signCheckpoint(
        { origin: this.originOf(tenant), size: frontier.size, rootHash, time: now.toISOString(), prevNoteHash: last.rows[0]?.note_hash ?? null },
        this.signer,
      );
      await tx.query(
        `INSERT INTO ledger.checkpoints (tenant, size, root_hash, note, note_hash, key_name, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [tenant, frontier.size, rootHash, note, checkpointNoteHash(note), this.signer.name, now],
      );
      return { tenant, size: frontier.size, rootHash, note, signedAt: now };
    });
  }

  private async publish(checkpoints: SignedCheckpoint[]): Promise<void> {
    if (!this.publisher || checkpoints.length === 0) return;
    try {
      await this.publisher.publish(
        'checkpoints',
        checkpoints.map((c) => ({
          key: c.tenant,
          value: { tenant: c.tenant, size: c.size, rootHash: c.rootHash.toString('hex'), note: c.note, signedAt: c.signedAt.toISOString() },
        })),
      );
    } catch (error) {
      // Checkpoints are stored before they are announced; a missed announcement is repaired by the next one.
      this.logger.warn({ err: error }, 'could not publish checkpoints');
    }
  }
}
