import { GENESIS_PREV_HASH, chainHash } from './chain';
import { checkpointNoteHash, generateSigningKey, signCheckpoint } from './checkpoint';
import type { CheckpointBody, CheckpointSigner } from './checkpoint';
import { canonicalize } from './jcs';
import { hashLeaf, MerkleFrontier, rootFromLeafHashes } from './merkle';
import { leafHashOf } from './record';
import type { LedgerEntry } from './record';
import { LedgerVerifier } from './verifier';
import type { LedgerRow, LedgerVerifierOptions, VerifyResult } from './verifier';

const TENANT = 'acme';
const ORIGIN = `audit-ledger.example/tenant/${TENANT}`;
const KEY_2024 = generateSigningKey('audit-ledger.example/2024');
const KEY_2025 = generateSigningKey('audit-ledger.example/2025');
const TRUSTED = [KEY_2024.verifierKey, KEY_2025.verifierKey];
const START = Date.UTC(2025, 0, 1);

interface SignedCheckpoint {
  readonly size: number;
  readonly note: string;
}

interface Ledger {
  readonly rows: LedgerRow[];
  readonly checkpoints: SignedCheckpoint[];
}

function entry(seq: number, tenant = TENANT): LedgerEntry {
  const at = (offset: number) => new Date(START + seq * 1000 + offset).toISOString();
  return {
    id: `0190c1a2-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`,
    tenant,
    type: seq % 2 === 0 ? 'deployment.succeeded' : 'deployment.started',
    occurredAt: at(-500),
    receivedAt: at(-100),
    actor: { id: 'pipeline-7', type: 'pipeline', roles: ['deployer'] },
    resource: { kind: 'service', id: 'payments', environment: 'prod' },
    details: { attempt: seq, note: `run ${seq}` },
    seq,
    recordedAt: at(0),
  };
}

/** Rows as the writer stores them: leaf hash of the entry, chained from `prevHash`. */
function chainRows(entries: readonly LedgerEntry[], prevHash: Buffer = GENESIS_PREV_HASH): LedgerRow[] {
  let prev = prevHash;
  return entries.map((e) => {
    const leafHash = leafHashOf(e);
    const hash = chainHash(prev, leafHash, e.seq);
    const row = { seq: e.seq, entry: e, leafHash, hash, prevHash: prev };
    prev = hash;
    return row;
  });
}

/** Rows for `entries`, chained on from `after` (an attacker recomputing every hash it can). */
function rechain(after: LedgerRow, entries: readonly LedgerEntry[]): LedgerRow[] {
  return chainRows(entries, Buffer.from(after.hash));
}

/** The entries of `rows` from seq `from` on (as stored, before any edit at that position). */
function entriesFrom(rows: readonly LedgerRow[], from: number): LedgerEntry[] {
  return rows.slice(from - 1).map((row) => row.entry as LedgerEntry);
}

/** What the writer would produce: rows, and a checkpoint every `every` rows, the key rotating halfway. */
function buildLedger(count: number, every: number): Ledger {
  const signerFor = (size: number) => (size <= count / 2 ? KEY_2024 : KEY_2025).signer;
  const rows = chainRows(Array.from({ length: count }, (_, i) => entry(i + 1)));
  const frontier = MerkleFrontier.empty();
  const checkpoints: SignedCheckpoint[] = [];
  let prevNoteHash: Buffer | null = null;
  for (const row of rows) {
    frontier.append(row.leafHash);
    if (frontier.size % every === 0) {
      const { size } = frontier;
      const time = new Date(START + size * 1000 + 1).toISOString();
      const note = signCheckpoint({ origin: ORIGIN, size, rootHash: frontier.root(), time, prevNoteHash }, signerFor(size));
      checkpoints.push({ size, note });
      prevNoteHash = checkpointNoteHash(note);
    }
  }
  return { rows, checkpoints };
}

type Feed = 'interleaved' | 'upfront';

/** Feeds the verifier the way the CLI does: each checkpoint once the stream reaches its size, or all first. */
function verify(ledger: Ledger, feed: Feed = 'interleaved', options: Partial<LedgerVerifierOptions> = {}): VerifyResult {
  const verifier = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED, ...options });
  const queue = [...ledger.checkpoints];
  const feedUpTo = (size: number) => {
    while (queue.length > 0 && (feed === 'upfront' || (queue[0] as SignedCheckpoint).size <= size)) {
      verifier.checkpoint((queue.shift() as SignedCheckpoint).note);
    }
  };
  feedUpTo(0);
  ledger.rows.forEach((row, index) => {
    verifier.push(row);
    feedUpTo(index + 1);
  });
  feedUpTo(Number.MAX_SAFE_INTEGER);
  return verifier.finish();
}

function edit(ledger: Ledger, change: (rows: LedgerRow[], checkpoints: SignedCheckpoint[]) => void): Ledger {
  const rows = [...ledger.rows];
  const checkpoints = [...ledger.checkpoints];
  change(rows, checkpoints);
  return { rows, checkpoints };
}

const LEDGER = buildLedger(1000, 100);
const at = (seq: number) => LEDGER.rows[seq - 1] as LedgerRow;
const note = (size: number) => (LEDGER.checkpoints.find((c) => c.size === size) as SignedCheckpoint).note;

describe('LedgerVerifier', () => {
  describe('a clean ledger', () => {
    it.each<Feed>(['interleaved', 'upfront'])('of 1000 rows and 10 checkpoints across a key rotation passes (%s)', (feed) => {
      const result = verify(LEDGER, feed);
      expect(result).toEqual({
        ok: true,
        rows: 1000,
        redactedRows: 0,
        checkpoints: 10,
        checkpointedSize: 1000,
        rootHash: rootFromLeafHashes(LEDGER.rows.map((row) => row.leafHash)),
        problems: 0,
      });
      expect(result).not.toHaveProperty('firstFailure');
    });

    it('passes with rows after the last checkpoint, which are chained but not yet covered', () => {
      const result = verify(edit(LEDGER, (_rows, checkpoints) => checkpoints.pop()));
      expect(result).toMatchObject({ ok: true, rows: 1000, checkpoints: 9, checkpointedSize: 900 });
    });

    it('passes when empty, with or without a checkpoint of size 0', () => {
      expect(verify({ rows: [], checkpoints: [] })).toMatchObject({ ok: true, rows: 0, checkpoints: 0 });
      const empty = signCheckpoint(
        { origin: ORIGIN, size: 0, rootHash: rootFromLeafHashes([]), time: '2025-01-01T00:00:00Z', prevNoteHash: null },
        KEY_2025.signer,
      );
      expect(verify({ rows: [], checkpoints: [{ size: 0, note: empty }] })).toMatchObject({ ok: true, checkpoints: 1 });
    });

    it('passes with payloads removed by retention, verifying their stored leaf hashes', () => {
      const redacted = edit(LEDGER, (rows) => {
        for (const seq of [1, 2, 500, 1000]) {
          rows[seq - 1] = { ...at(seq), entry: null };
        }
      });
      expect(verify(redacted)).toMatchObject({ ok: true, redactedRows: 4, checkpointedSize: 1000 });
    });

    it('accepts an explicit origin', () => {
      expect(verify(LEDGER, 'interleaved', { origin: ORIGIN }).ok).toBe(true);
      expect(verify(LEDGER, 'interleaved', { origin: 'audit-ledger.example/other' }).firstFailure).toMatchObject({
        seq: 100,
        problem: 'tenant-mismatch',
      });
    });
  });

  describe('names the first bad seq of a tampered ledger', () => {
    function expectFirstFailure(ledger: Ledger, seq: number, problem: string): VerifyResult {
      for (const feed of ['interleaved', 'upfront'] as const) {
        const result = verify(ledger, feed);
        expect(result.ok).toBe(false);
        expect(result.firstFailure).toMatchObject({ seq, problem });
        expect(result.firstFailure?.detail).toEqual(expect.any(String));
      }
      return verify(ledger);
    }

    it('an edited payload', () => {
      const forged = edit(LEDGER, (rows) => {
        const resource = { kind: 'service', id: 'billing', environment: 'prod' };
        rows[436] = { ...at(437), entry: { ...(at(437).entry as LedgerEntry), resource } };
      });
      const result = expectFirstFailure(forged, 437, 'leaf-hash-mismatch');
      expect(result.problems).toBeGreaterThan(1); // the signed roots from 500 on no longer match either
    });

    it('an edited payload with its leaf hash recomputed', () => {
      const changed = { ...(at(437).entry as LedgerEntry), outcome: 'succeeded' };
      const forged = edit(LEDGER, (rows) => {
        rows[436] = { ...at(437), entry: changed, leafHash: leafHashOf(changed) };
      });
      expectFirstFailure(forged, 437, 'chain-broken');
    });

    it('an edited payload with every later hash recomputed (only the signed root can tell)', () => {
      const changed = { ...(at(437).entry as LedgerEntry), outcome: 'succeeded' };
      const forged = edit(LEDGER, (rows) => {
        rows.splice(436, rows.length, ...rechain(at(436), [changed, ...entriesFrom(rows, 438)]));
      });
      expectFirstFailure(forged, 500, 'root-mismatch');
    });

    it('a deleted row', () => {
      expectFirstFailure(edit(LEDGER, (rows) => rows.splice(436, 1)), 437, 'gap');
    });

    it('a deleted first row', () => {
      expectFirstFailure(edit(LEDGER, (rows) => rows.shift()), 1, 'gap');
    });

    it('a deleted row with the rest renumbered and re-chained', () => {
      const forged = edit(LEDGER, (rows) => {
        const later = rows.slice(437).map((r) => ({ ...(r.entry as LedgerEntry), seq: r.seq - 1 }));
        rows.splice(436, rows.length, ...rechain(at(436), later));
      });
      const result = expectFirstFailure(forged, 500, 'root-mismatch');
      expect(result.rows).toBe(999);
    });

    it('an inserted row reusing a seq', () => {
      const extra = entry(437);
      expectFirstFailure(edit(LEDGER, (rows) => rows.splice(437, 0, ...rechain(at(437), [extra]))), 437, 'duplicate');
    });

    it('an inserted row with the seq column of later rows shifted', () => {
      const forged = edit(LEDGER, (rows) => {
        const [inserted] = rechain(at(436), [{ ...entry(437), details: { forged: true } }]);
        const shifted = rows.slice(436).map((r) => ({ ...r, seq: r.seq + 1 }));
        rows.splice(436, rows.length, inserted as LedgerRow, ...shifted);
      });
      expectFirstFailure(forged, 438, 'out-of-order');
    });

    it('swapped rows', () => {
      expectFirstFailure(edit(LEDGER, (rows) => rows.splice(436, 2, at(438), at(437))), 437, 'out-of-order');
    });

    it('swapped payloads under unchanged seq numbers', () => {
      const forged = edit(LEDGER, (rows) => {
        rows[436] = { ...at(438), seq: 437 };
        rows[437] = { ...at(437), seq: 438 };
      });
      expectFirstFailure(forged, 437, 'out-of-order');
    });

    it('a truncated tail', () => {
      const result = expectFirstFailure(edit(LEDGER, (rows) => rows.splice(990)), 991, 'truncated');
      expect(result).toMatchObject({ rows: 990, checkpointedSize: 900 });
    });

    it('a row of another tenant', () => {
      const forged = edit(LEDGER, (rows) => {
        rows.splice(436, rows.length, ...rechain(at(436), [entry(437, 'globex'), ...entriesFrom(rows, 438)]));
      });
      expectFirstFailure(forged, 437, 'tenant-mismatch');
    });

    it('a first row that does not start from the genesis hash', () => {
      const [first] = chainRows([entry(1)], Buffer.alloc(32, 1));
      expectFirstFailure(edit(LEDGER, (rows) => (rows[0] = first as LedgerRow)), 1, 'chain-broken');
    });

    it('a row whose hashes are not 32 bytes', () => {
      expectFirstFailure(edit(LEDGER, (rows) => (rows[9] = { ...at(10), hash: at(10).hash.subarray(0, 31) })), 10, 'chain-broken');
    });

    it('an entry carrying a derived field', () => {
      const forged = edit(LEDGER, (rows) => (rows[9] = { ...at(10), entry: { ...(at(10).entry as LedgerEntry), hash: 'x' } }));
      expectFirstFailure(forged, 10, 'leaf-hash-mismatch');
    });

    it('a row with a seq that is not a positive integer', () => {
      expectFirstFailure(edit(LEDGER, (rows) => (rows[9] = { ...at(10), seq: 10.5 })), 10, 'out-of-order');
    });
  });

  describe('checks the signed checkpoints', () => {
    const replace = (size: number, newNote: string) =>
      edit(LEDGER, (_rows, checkpoints) => {
        checkpoints[checkpoints.findIndex((c) => c.size === size)] = { size, note: newNote };
      });
    const prevOf = (size: number) => checkpointNoteHash(note(size));
    const body = (size: number, overrides: Partial<CheckpointBody> = {}): CheckpointBody => ({
      origin: ORIGIN,
      size,
      rootHash: rootFromLeafHashes(LEDGER.rows.slice(0, size).map((r) => r.leafHash)),
      time: new Date(START + size * 1000 + 1).toISOString(),
      prevNoteHash: size === 100 ? null : prevOf(size - 100),
      ...overrides,
    });
    const resign = (size: number, overrides: Parameters<typeof body>[1] = {}, signer: CheckpointSigner = KEY_2024.signer) =>
      replace(size, signCheckpoint(body(size, overrides), signer));

    it('re-signing an identical body with the same key passes', () => {
      expect(verify(resign(300)).ok).toBe(true);
    });

    it('a replaced checkpoint with a bad signature', () => {
      const forged = note(300).replace(/(\u2014 \S+ )(.)/, (_m, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
      expect(verify(replace(300, forged)).firstFailure).toMatchObject({ seq: 300, problem: 'checkpoint-signature' });
    });

    it('a replaced checkpoint signed by an untrusted key', () => {
      const result = verify(resign(300, {}, generateSigningKey('audit-ledger.example/2024').signer));
      expect(result.firstFailure).toMatchObject({ seq: 300, problem: 'checkpoint-signature' });
    });

    it('a replaced checkpoint with a wrong root, validly signed', () => {
      const result = verify(resign(300, { rootHash: Buffer.alloc(32, 7) }));
      expect(result.firstFailure).toMatchObject({ seq: 300, problem: 'root-mismatch' });
    });

    it('a deleted checkpoint', () => {
      const forged = edit(LEDGER, (_rows, checkpoints) => checkpoints.splice(2, 1));
      expect(verify(forged).firstFailure).toMatchObject({ seq: 400, problem: 'checkpoint-chain' });
    });

    it('a deleted first checkpoint', () => {
      const forged = edit(LEDGER, (_rows, checkpoints) => checkpoints.shift());
      expect(verify(forged).firstFailure).toMatchObject({ seq: 200, problem: 'checkpoint-chain' });
    });

    it('a checkpoint whose time goes backwards', () => {
      const result = verify(resign(300, { time: '2024-12-31T23:59:59Z' }));
      expect(result.firstFailure).toMatchObject({ seq: 300, problem: 'checkpoint-chain' });
    });

    it('a checkpoint whose size goes down', () => {
      const verifier = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED });
      verifier.checkpoint(note(100));
      verifier.checkpoint(note(200));
      const smaller = signCheckpoint(body(100, { prevNoteHash: prevOf(200) }), KEY_2024.signer);
      verifier.checkpoint(smaller);
      expect(verifier.finish().firstFailure).toMatchObject({ seq: 100, problem: 'checkpoint-chain' });
    });

    it("a checkpoint of another tenant's log", () => {
      const result = verify(resign(300, { origin: 'audit-ledger.example/tenant/globex' }));
      expect(result.firstFailure).toMatchObject({ seq: 300, problem: 'tenant-mismatch' });
    });

    it('a note that is not a checkpoint at all (reported at the stream position it was given)', () => {
      expect(verify(replace(300, 'garbage')).firstFailure).toMatchObject({ seq: 300, problem: 'checkpoint-signature' });
    });
  });

  describe('is used correctly', () => {
    it('refuses a checkpoint given after the stream passed its size', () => {
      const verifier = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED });
      LEDGER.rows.slice(0, 101).forEach((row) => verifier.push(row));
      expect(() => verifier.checkpoint(note(100))).toThrow(/before the rows pass its size/);
    });

    it('returns the same result from repeated finish() calls and refuses input afterwards', () => {
      const verifier = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED });
      verifier.push(at(1));
      const result = verifier.finish();
      expect(verifier.finish()).toBe(result);
      expect(() => verifier.push(at(2))).toThrow(/after finish/);
      expect(() => verifier.checkpoint(note(100))).toThrow(/after finish/);
    });

    it('refuses options without a tenant or a key list', () => {
      expect(() => new LedgerVerifier({ tenant: '', trustedKeys: [] })).toThrow(TypeError);
      expect(() => new LedgerVerifier({ tenant: TENANT, trustedKeys: undefined as unknown as [] })).toThrow(TypeError);
    });
  });
});

describe('LedgerVerifier with stored leaf bytes', () => {
  it('hashes the stored bytes as given and flags a row whose bytes were edited', () => {
    const rows: { seq: number; text: string; leafHash: Buffer; hash: Buffer; prevHash: Buffer }[] = [];
    let prev: Buffer = GENESIS_PREV_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const text = canonicalize({ tenant: 'acme', seq, recordedAt: '2026-01-01T00:00:00Z', n: seq });
      const leafHash = hashLeaf(Buffer.from(text));
      const hash = chainHash(prev, leafHash, seq);
      rows.push({ seq, text, leafHash, hash, prevHash: prev });
      prev = hash;
    }
    const run = (edit: (t: string, seq: number) => string) => {
      const v = new LedgerVerifier({ tenant: 'acme', trustedKeys: [] });
      for (const r of rows) {
        const text = edit(r.text, r.seq);
        v.push({ seq: r.seq, entry: JSON.parse(text), leafData: Buffer.from(text), leafHash: r.leafHash, hash: r.hash, prevHash: r.prevHash });
      }
      return v.finish();
    };
    expect(run((t) => t)).toMatchObject({ ok: true, rows: 3 });
    // Same JSON value, different bytes: the stored bytes are what was hashed, so this is tampering.
    expect(run((t, seq) => (seq === 2 ? t.replace('{', '{ ') : t)).firstFailure).toMatchObject({ seq: 2, problem: 'leaf-hash-mismatch' });
  });
});

describe('LedgerVerifier resumed from an earlier state', () => {
  /** Verifies rows and checkpoints of sizes ≤ `upTo`, then continues from its state with the rest. */
  function inTwoSteps(ledger: Ledger, upTo: number): VerifyResult {
    const first = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED });
    const early = ledger.checkpoints.filter((c) => c.size <= upTo);
    let i = 0;
    for (const row of ledger.rows.slice(0, upTo)) {
      first.push(row);
      while (early[i] && early[i]!.size <= row.seq) first.checkpoint(early[i++]!.note);
    }
    expect(first.finish().ok).toBe(true);
    const second = new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED, resume: first.state() });
    const late = ledger.checkpoints.filter((c) => c.size > upTo);
    for (const c of late) second.checkpoint(c.note);
    for (const row of ledger.rows.slice(upTo)) second.push(row);
    return second.finish();
  }

  it('gives the same root and coverage as one pass over everything', () => {
    const result = inTwoSteps(LEDGER, 500);
    expect(result).toMatchObject({ ok: true, rows: 1000, checkpointedSize: 1000, rootHash: verify(LEDGER).rootHash });
  });

  it('still finds an edit after the resume point, naming its seq', () => {
    const forged = { ...at(730), entry: { ...(at(730).entry as LedgerEntry), details: { attempt: 0 } } };
    const result = inTwoSteps(edit(LEDGER, (rows) => (rows[729] = forged)), 500);
    expect(result.firstFailure).toMatchObject({ seq: 730, problem: 'leaf-hash-mismatch' });
  });

  it('checks the link of the first new checkpoint to the last one verified', () => {
    const unlinked = signCheckpoint({ origin: ORIGIN, size: 600, rootHash: MerkleFrontier.empty().root(), time: new Date(START + 600_001).toISOString(), prevNoteHash: null }, KEY_2025.signer);
    const result = inTwoSteps(edit(LEDGER, (_rows, checkpoints) => (checkpoints[5] = { size: 600, note: unlinked })), 500);
    expect(result.firstFailure).toMatchObject({ seq: 600, problem: 'checkpoint-chain' });
  });

  it('refuses a state whose frontier does not match its size', () => {
    const state = { ...new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED }).state(), size: 3 };
    expect(() => new LedgerVerifier({ tenant: TENANT, trustedKeys: TRUSTED, resume: state })).toThrow(RangeError);
  });
});
