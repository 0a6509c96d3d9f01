import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { consistencyProof, inclusionProof } from '@audit/ledger-core';
import { checkpointAtSize, latestCheckpoint, leafHashes, recordSeq, type StoredCheckpoint } from '@audit/ledger-store';
import { InjectPool } from '@audit/service-shell';

export class ProofRequestError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface InclusionProofView {
  seq: number;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
}

/** Inclusion and consistency proofs against signed checkpoints, computed from the stored leaf hashes. */
@Injectable()
export class LedgerProofsService {
  constructor(@InjectPool() private readonly pool: Pool) {}

  latest(tenant: string): Promise<StoredCheckpoint | undefined> {
    return latestCheckpoint(this.pool, tenant);
  }

  atSize(tenant: string, size: number): Promise<StoredCheckpoint | undefined> {
    return checkpointAtSize(this.pool, tenant, size);
  }

  async inclusion(tenant: string, by: { seq?: number; eventId?: string }, treeSize?: number): Promise<InclusionProofView> {
    const seq = await recordSeq(this.pool, tenant, by);
    if (seq === undefined) throw new ProofRequestError(404, 'no such record in this tenant’s ledger');
    const checkpoint = treeSize === undefined ? await this.latest(tenant) : await this.atSize(tenant, treeSize);
    if (!checkpoint) throw new ProofRequestError(404, treeSize === undefined ? 'no checkpoint yet' : `no checkpoint at size ${treeSize}`);
    if (seq > checkpoint.size) throw new ProofRequestError(404, `record ${seq} is not yet covered by a checkpoint (latest size ${checkpoint.size})`);
    const leaves = await leafHashes(this.pool, tenant, checkpoint.size);
    const leafIndex = seq - 1;
    return {
      seq,
      leafIndex,
      treeSize: checkpoint.size,
      leafHash: leaves[leafIndex]!.toString('base64'),
      proof: inclusionProof(leaves, leafIndex).map((h) => h.toString('base64')),
      checkpoint: checkpoint.note,
    };
  }

  async consistency(tenant: string, from: number, to: number): Promise<{ from: number; to: number; proof: string[]; fromCheckpoint: string; toCheckpoint: string }> {
    if (!(from >= 1 && to >= from)) throw new ProofRequestError(400, 'need 1 <= from <= to');
    const [a, b] = await Promise.all([this.atSize(tenant, from), this.atSize(tenant, to)]);
    if (!a || !b) throw new ProofRequestError(404, `no checkpoint at size ${!a ? from : to}`);
    const leaves = await leafHashes(this.pool, tenant, to);
    return { from, to, proof: consistencyProof(leaves, from, to).map((h) => h.toString('base64')), fromCheckpoint: a.note, toCheckpoint: b.note };
  }
}
