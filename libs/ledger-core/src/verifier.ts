/**
 * Streaming verification of one tenant's ledger, in bounded memory: rows are pushed in seq order, and
 * signed checkpoints are given before the stream passes their size. Only the first failure is kept in
 * detail; later ones are counted.
 */
import { HASH_SIZE, isHash } from './bytes';
import { chainHash } from './chain';
import { CheckpointError, parseCheckpoint, verifyCheckpoint } from './checkpoint';
import type { VerifiedCheckpoint, VerifierKey } from './checkpoint';
import { hashLeaf, MerkleFrontier } from './merkle';
import { isSeq, leafHashOf } from './record';
import type { LedgerEntry } from './record';
import { rfc3339SortKey } from './time';

export type VerifyProblem =
  | 'leaf-hash-mismatch'
  | 'chain-broken'
  | 'gap'
  | 'duplicate'
  | 'out-of-order'
  | 'tenant-mismatch'
  | 'root-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-chain'
  | 'truncated'
  /** A payload removed by no recorded retention run (see redaction-audit.ts). */
  | 'redaction-unrecorded'
  /** A payload removed while a legal hold covered it. */
  | 'redaction-under-hold';

export interface VerifyFailure {
  /**
   * The first seq found bad. For checkpoint problems (`root-mismatch`, `checkpoint-*`, a checkpoint's
   * `tenant-mismatch`) it is the checkpoint's tree size, or the number of rows pushed so far when the
   * note cannot even be parsed; for `truncated`, the first missing seq.
   */
  readonly seq: number;
  readonly problem: VerifyProblem;
  readonly detail: string;
}

/** One stored record, as read back for verification. */
export interface LedgerRow {
  readonly seq: number;
  /** The entry as hashed, or null when retention removed the payload (the stored leafHash then stands). */
  readonly entry: LedgerEntry | null;
  /**
   * The exact stored bytes of the entry (its canonical JSON), when the store keeps them: the leaf hash is
   * then computed over these bytes — what was hashed at write time — instead of re-canonicalizing `entry`,
   * which must be their parse. Saves a canonicalization per row.
   */
  readonly leafData?: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly hash: Uint8Array;
  readonly prevHash: Uint8Array;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly rows: number;
  /** Rows whose payload was removed by retention, verified through their stored leaf hash only. */
  readonly redactedRows: number;
  readonly checkpoints: number;
  /** Largest checkpoint size whose signed root matched: rows 1..this are covered by a signature. */
  readonly checkpointedSize: number;
  /** Merkle root of all rows pushed, in the order pushed. */
  readonly rootHash: Buffer;
  /** Number of failed checks; one act of tampering often fails several. */
  readonly problems: number;
  readonly firstFailure?: VerifyFailure;
}

export interface LedgerVerifierOptions {
  readonly tenant: string;
  /** Keys whose checkpoint signatures are accepted; keep retired keys here to verify old checkpoints. */
  readonly trustedKeys: readonly VerifierKey[];
  /** The origin every checkpoint must name. Default: any origin ending in `/tenant/<tenant>`. */
  readonly origin?: string;
  /**
   * Continue where an earlier, successful verification stopped (`state()` of its verifier): rows
   * 1..size are taken as verified, and the stream starts at seq size + 1. Lets a long-running verifier
   * check only what was appended since, instead of the whole log every time.
   */
  readonly resume?: VerifierState;
}

/** Where a verification stopped: enough to check the rows and checkpoints that come after it. */
export interface VerifierState {
  readonly size: number;
  /** `hash` of row `size` (the genesis value when 0). */
  readonly lastHash: Uint8Array;
  /** Merkle frontier of rows 1..size, as `MerkleFrontier.toJSON()`. */
  readonly frontier: unknown;
  /** The last checkpoint note checked, so the next one's link to it is checked too. */
  readonly lastCheckpointNote?: string;
  readonly checkpointedSize: number;
}

const ZERO_HASH = Buffer.alloc(HASH_SIZE);

export class LedgerVerifier {
  private readonly tenant: string;
  private readonly trustedKeys: readonly VerifierKey[];
  private readonly origin: string | undefined;
  private readonly frontier: MerkleFrontier;
  /** Highest seq seen so far. */
  private lastSeq = 0;
  /** `hash` of the previous row pushed. */
  private lastHash: Buffer = Buffer.from(ZERO_HASH);
  /** A gap just reported, reclassified as a reordering if the very next row is the missing one. */
  private openGap: { readonly missing: number; readonly failure: VerifyFailure } | undefined;
  private redactedRows = 0;
  private checkpointCount = 0;
  private checkpointedSize = 0;
  private lastCheckpoint: VerifiedCheckpoint | undefined;
  private lastCheckpointNote: string | undefined;
  /** Checkpoints ahead of the stream, in non-decreasing size order. */
  private readonly pending: VerifiedCheckpoint[] = [];
  private problems = 0;
  private firstFailure: VerifyFailure | undefined;
  private result: VerifyResult | undefined;

  constructor(options: LedgerVerifierOptions) {
    if (typeof options.tenant !== 'string' || options.tenant.length === 0) {
      throw new TypeError('tenant must be a non-empty string');
    }
    if (!Array.isArray(options.trustedKeys)) {
      throw new TypeError('trustedKeys must be an array');
    }
    this.tenant = options.tenant;
    this.trustedKeys = [...options.trustedKeys];
    this.origin = options.origin;
    const resume = options.resume;
    if (resume === undefined) {
      this.frontier = MerkleFrontier.empty();
      return;
    }
    this.frontier = MerkleFrontier.fromJSON(resume.frontier);
    if (this.frontier.size !== resume.size || !isHash(resume.lastHash)) {
      throw new RangeError(`resume state is inconsistent: size ${resume.size}, frontier size ${this.frontier.size}`);
    }
    this.lastSeq = resume.size;
    this.lastHash = Buffer.from(resume.lastHash);
    this.checkpointedSize = resume.checkpointedSize;
    // The resumed checkpoint was verified before; a note that no longer verifies is a resume bug, so it throws.
    if (resume.lastCheckpointNote !== undefined) {
      this.lastCheckpoint = verifyCheckpoint(resume.lastCheckpointNote, this.trustedKeys);
      this.lastCheckpointNote = resume.lastCheckpointNote;
    }
  }

  /** Where the stream stands now: give it as `resume` to continue later. Meaningful after an ok result. */
  state(): VerifierState {
    return {
      size: this.frontier.size,
      lastHash: Buffer.from(this.lastHash),
      frontier: this.frontier.toJSON(),
      ...(this.lastCheckpointNote !== undefined ? { lastCheckpointNote: this.lastCheckpointNote } : {}),
      checkpointedSize: this.checkpointedSize,
    };
  }

  /** Checks the next row of the stream. */
  push(row: LedgerRow): void {
    this.assertOpen('push');
    const at = isSeq(row.seq) ? row.seq : this.lastSeq + 1;
    this.checkSequence(row.seq);
    const leafHash = this.checkEntry(row, at);
    this.checkChain(row, at);
    // The tree commits to the content: use the recomputed leaf hash whenever there is one.
    this.frontier.append(leafHash ?? (isHash(row.leafHash) ? row.leafHash : ZERO_HASH));
    while (this.pending[0]?.size === this.frontier.size) {
      this.checkRoot(this.pending.shift() as VerifiedCheckpoint);
    }
  }

  /**
   * Checks a signed checkpoint note: its signature, origin and link to the previous checkpoint now, and
   * its root once the stream reaches its size. Give checkpoints in increasing size order, each before
   * the row stream passes its size.
   * @throws Error when the checkpoint comes after the stream passed its size (a caller bug, not tampering).
   */
  checkpoint(note: string): void {
    this.assertOpen('checkpoint');
    this.checkpointCount += 1;
    let checkpoint: VerifiedCheckpoint;
    try {
      checkpoint = verifyCheckpoint(note, this.trustedKeys);
    } catch (error) {
      if (!(error instanceof CheckpointError)) {
        throw error;
      }
      this.fail(claimedSize(note) ?? this.frontier.size, 'checkpoint-signature', error.message);
      return;
    }
    const { size } = checkpoint;
    if (!this.isOwnOrigin(checkpoint.origin)) {
      this.fail(size, 'tenant-mismatch', `checkpoint origin ${checkpoint.origin} is not this tenant's log`);
      return;
    }
    const previous = this.lastCheckpoint;
    const shrinks = previous !== undefined && size < previous.size;
    if (!shrinks && size < this.frontier.size) {
      throw new Error(
        `checkpoint of size ${size} given after ${this.frontier.size} rows; ` +
          'give each checkpoint before the rows pass its size',
      );
    }
    this.lastCheckpoint = checkpoint;
    this.lastCheckpointNote = note;
    this.checkCheckpointLink(checkpoint, previous);
    if (shrinks) {
      // Reported as a broken checkpoint chain; the stream is past its size, so its root cannot be checked.
      return;
    }
    if (size === this.frontier.size) {
      this.checkRoot(checkpoint);
    } else {
      this.pending.push(checkpoint);
    }
  }

  /** Ends the stream: checkpoints still ahead of it mean rows are missing at the end. Idempotent. */
  finish(): VerifyResult {
    if (this.result !== undefined) {
      return this.result;
    }
    const rows = this.frontier.size;
    for (const checkpoint of this.pending) {
      this.fail(
        rows + 1,
        'truncated',
        `checkpoint signed at ${checkpoint.time} commits to ${checkpoint.size} rows, but only ${rows} are present`,
      );
    }
    this.pending.length = 0;
    const summary = {
      ok: this.problems === 0,
      rows,
      redactedRows: this.redactedRows,
      checkpoints: this.checkpointCount,
      checkpointedSize: this.checkpointedSize,
      rootHash: this.frontier.root(),
      problems: this.problems,
    };
    this.result = this.firstFailure === undefined ? summary : { ...summary, firstFailure: this.firstFailure };
    return this.result;
  }

  private checkSequence(seq: number): void {
    const expected = this.lastSeq + 1;
    const gap = this.openGap;
    this.openGap = undefined;
    if (!isSeq(seq)) {
      this.fail(expected, 'out-of-order', `row after seq ${this.lastSeq} has seq ${String(seq)}, not an integer ≥ 1`);
    } else if (seq === expected) {
      this.lastSeq = seq;
    } else if (seq > expected) {
      const missing = seq === expected + 1 ? `seq ${expected} is` : `seqs ${expected}..${seq - 1} are`;
      const failure = this.fail(expected, 'gap', `${missing} missing: seq ${seq} follows seq ${this.lastSeq}`);
      this.openGap = { missing: expected, failure };
      this.lastSeq = seq;
    } else if (seq === this.lastSeq) {
      this.fail(seq, 'duplicate', `seq ${seq} appears twice`);
    } else {
      const detail = `seq ${seq} comes after seq ${this.lastSeq}`;
      if (gap !== undefined && gap.missing === seq && this.firstFailure === gap.failure) {
        // The "missing" row arrived right after the one that jumped ahead: the rows were swapped.
        this.firstFailure = { seq, problem: 'out-of-order', detail };
      }
      this.fail(seq, 'out-of-order', detail);
    }
  }

  /** Checks the entry against the row and the tenant; returns its leaf hash when it can be computed. */
  private checkEntry(row: LedgerRow, at: number): Buffer | undefined {
    if (row.entry === null) {
      this.redactedRows += 1;
      return undefined;
    }
    const entry: unknown = row.entry;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      this.fail(at, 'leaf-hash-mismatch', 'entry is not a JSON object');
      return undefined;
    }
    const { seq, tenant } = entry as Record<string, unknown>;
    if (seq !== row.seq) {
      this.fail(at, 'out-of-order', `row seq ${String(row.seq)} holds the entry of seq ${String(seq)}`);
    }
    if (tenant !== this.tenant) {
      this.fail(at, 'tenant-mismatch', `entry belongs to tenant ${JSON.stringify(tenant) ?? 'undefined'}`);
    }
    let leafHash: Buffer;
    try {
      leafHash = row.leafData ? hashLeaf(row.leafData) : leafHashOf(entry as LedgerEntry);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.fail(at, 'leaf-hash-mismatch', `entry cannot be hashed: ${reason}`);
      return undefined;
    }
    if (!isHash(row.leafHash) || !leafHash.equals(row.leafHash)) {
      this.fail(at, 'leaf-hash-mismatch', 'stored leaf hash is not the hash of the stored entry');
    }
    return leafHash;
  }

  private checkChain(row: LedgerRow, at: number): void {
    const { prevHash, leafHash, hash } = row;
    if (!isHash(prevHash) || !isHash(leafHash) || !isHash(hash)) {
      this.fail(at, 'chain-broken', `prevHash, leafHash and hash must each be ${HASH_SIZE} bytes`);
      this.lastHash = isHash(hash) ? Buffer.from(hash) : Buffer.from(ZERO_HASH);
      return;
    }
    const linked = this.lastHash.equals(prevHash);
    const computed = !isSeq(row.seq) || chainHash(prevHash, leafHash, row.seq).equals(hash);
    if (!linked || !computed) {
      const previous = this.frontier.size === 0 ? 'the genesis value' : 'the hash of the previous row';
      const problems = [
        ...(linked ? [] : [`prevHash is not ${previous}`]),
        ...(computed ? [] : ['hash is not chainHash(prevHash, leafHash, seq)']),
      ];
      this.fail(at, 'chain-broken', problems.join('; '));
    }
    // Later rows are checked against what is stored, so one bad row is reported once, not forever.
    this.lastHash = Buffer.from(hash);
  }

  private checkCheckpointLink(checkpoint: VerifiedCheckpoint, previous: VerifiedCheckpoint | undefined): void {
    const { size, prevNoteHash } = checkpoint;
    if (previous === undefined) {
      if (prevNoteHash !== null) {
        this.fail(size, 'checkpoint-chain', `first checkpoint (size ${size}) names a previous one, which is missing`);
      }
      return;
    }
    if (prevNoteHash === null || !prevNoteHash.equals(previous.noteHash)) {
      this.fail(
        size,
        'checkpoint-chain',
        `prev of checkpoint size ${size} is not the hash of the checkpoint before it (size ${previous.size})`,
      );
    } else if (size < previous.size) {
      this.fail(size, 'checkpoint-chain', `checkpoint size went down from ${previous.size} to ${size}`);
    } else if (rfc3339SortKey(checkpoint.time) < rfc3339SortKey(previous.time)) {
      this.fail(size, 'checkpoint-chain', `checkpoint time went back from ${previous.time} to ${checkpoint.time}`);
    }
  }

  private checkRoot(checkpoint: VerifiedCheckpoint): void {
    if (this.frontier.root().equals(checkpoint.rootHash)) {
      this.checkpointedSize = Math.max(this.checkpointedSize, checkpoint.size);
      return;
    }
    this.fail(
      checkpoint.size,
      'root-mismatch',
      `rows 1..${checkpoint.size} do not hash to the root signed at ${checkpoint.time}; ` +
        `rows after seq ${this.checkpointedSize} (the last matching checkpoint) are suspect`,
    );
  }

  private isOwnOrigin(origin: string): boolean {
    return this.origin === undefined ? origin.endsWith(`/tenant/${this.tenant}`) : origin === this.origin;
  }

  private fail(seq: number, problem: VerifyProblem, detail: string): VerifyFailure {
    const failure = { seq, problem, detail };
    this.problems += 1;
    this.firstFailure ??= failure;
    return failure;
  }

  private assertOpen(action: string): void {
    if (this.result !== undefined) {
      throw new Error(`cannot ${action} after finish()`);
    }
  }
}

function claimedSize(note: string): number | undefined {
  try {
    return parseCheckpoint(note).body.size;
  } catch {
    return undefined;
  }
}
