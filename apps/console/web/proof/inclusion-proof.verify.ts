/**
 * Verifies, in the browser, that an event is in the tenant's ledger: its leaf hash (recomputed from the
 * event when the reader sees all of it) is included, by an RFC 9162 inclusion proof, in the tree whose root
 * a checkpoint signed with a trusted Ed25519 key commits to. The byte formats are the ones of
 * libs/ledger-core (README there); its hashing and signing use node:crypto, which browsers lack, so this
 * adapter does the same with WebCrypto. RFC 8785 canonical JSON is ledger-core's own `canonicalize`.
 * inclusion-proof.verify.spec.ts checks this file against ledger-core byte for byte.
 */
import { canonicalize } from '@audit/ledger-core/jcs';

/** The part of WebCrypto's SubtleCrypto this file uses (the browser's and Node's both fit). */
export interface SubtleLike {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
  importKey(format: 'raw', keyData: Uint8Array, algorithm: { name: 'Ed25519' }, extractable: false, usages: ['verify']): Promise<unknown>;
  verify(algorithm: { name: 'Ed25519' }, key: never, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** `GET /v1/proofs/inclusion` of the ledger. */
export interface InclusionProofResponse {
  seq: number;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
}

/** One key of `GET /v1/keys`: `vkey` is the verifier key text `name+keyid+base64(0x01‖pub)`. */
export interface PublishedKey {
  name: string;
  keyId: string;
  vkey: string;
}

export interface Check {
  name: 'checkpoint-signature' | 'checkpoint-origin' | 'leaf-hash' | 'inclusion';
  ok: boolean | null;
  detail: string;
}

export interface ProofVerdict {
  /** verified: every check passed; partial: proven except that the leaf could not be recomputed; failed: a check failed. */
  status: 'verified' | 'partial' | 'failed';
  checks: Check[];
  checkpoint: { origin: string; size: number; rootHash: string; time: string; keyName: string | null } | null;
}

export interface VerifyInput {
  tenant: string;
  /** The event as the ledger hashed it (accepted event + seq + recordedAt), or null when not all of it is visible. */
  entry: Record<string, unknown> | null;
  /** Why `entry` is null, shown to the reader. */
  entryUnavailableReason?: string;
  proof: InclusionProofResponse;
  keys: PublishedKey[];
}

const encoder = new TextEncoder();

export async function verifyEventInclusion(subtle: SubtleLike, input: VerifyInput): Promise<ProofVerdict> {
  const checks: Check[] = [];
  const note = parseCheckpointNote(input.proof.checkpoint);
  if (typeof note === 'string') {
    return { status: 'failed', checks: [{ name: 'checkpoint-signature', ok: false, detail: note }], checkpoint: null };
  }
  const signature = await verifyNoteSignature(subtle, note, input.keys);
  checks.push({ name: 'checkpoint-signature', ok: signature.ok, detail: signature.detail });

  const originOk = note.origin.endsWith(`/tenant/${input.tenant}`);
  checks.push({ name: 'checkpoint-origin', ok: originOk, detail: originOk ? `log ${note.origin}` : `checkpoint is for log ${note.origin}, not tenant ${input.tenant}` });

  const provenLeaf = base64ToBytes(input.proof.leafHash);
  if (input.entry) {
    const recomputed = await leafHash(subtle, input.entry);
    const same = provenLeaf !== null && equalBytes(recomputed, provenLeaf);
    checks.push({
      name: 'leaf-hash',
      ok: same,
      detail: same ? `SHA-256(0x00 ‖ JCS(event)) = ${toHex(recomputed)}` : `the event hashes to ${toHex(recomputed)}, the ledger proves ${provenLeaf ? toHex(provenLeaf) : 'an invalid hash'}`,
    });
  } else {
    checks.push({ name: 'leaf-hash', ok: null, detail: input.entryUnavailableReason ?? 'the event content is not available to recompute its leaf hash' });
  }

  const size = input.proof.treeSize;
  if (size !== note.size) {
    checks.push({ name: 'inclusion', ok: false, detail: `proof is for tree size ${size}, the checkpoint signs size ${note.size}` });
  } else if (!provenLeaf) {
    checks.push({ name: 'inclusion', ok: false, detail: 'leaf hash is not base64 of 32 bytes' });
  } else {
    const root = await rootFromInclusionProof(subtle, input.proof.leafIndex, size, provenLeaf, input.proof.proof);
    const ok = typeof root !== 'string' && equalBytes(root, note.rootHash);
    checks.push({
      name: 'inclusion',
      ok,
      detail: typeof root === 'string' ? root : ok ? `leaf ${input.proof.leafIndex} of ${size}: ${input.proof.proof.length} sibling hashes lead to the signed root` : 'the audit path leads to another root than the signed one',
    });
  }

  const failed = checks.some((c) => c.ok === false);
  return {
    status: failed ? 'failed' : checks.some((c) => c.ok === null) ? 'partial' : 'verified',
    checks,
    checkpoint: { origin: note.origin, size: note.size, rootHash: bytesToBase64(note.rootHash), time: note.time, keyName: signature.keyName },
  };
}

/** SHA-256(0x00 ‖ UTF-8(JCS(entry))), RFC 6962 leaf hashing of the canonical record. */
export async function leafHash(subtle: SubtleLike, entry: Record<string, unknown>): Promise<Uint8Array> {
  const data = encoder.encode(canonicalize(entry));
  return sha256(subtle, concat(Uint8Array.of(0x00), data));
}

/**
 * RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or a reason it is malformed. Sizes may exceed
 * 2^32, so halving uses arithmetic rather than bit shifts.
 */
export async function rootFromInclusionProof(subtle: SubtleLike, leafIndex: number, treeSize: number, leaf: Uint8Array, path: string[]): Promise<Uint8Array | string> {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return `leaf index ${leafIndex} is not inside a tree of size ${treeSize}`;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const encoded of path) {
    const p = base64ToBytes(encoded);
    if (!p || p.length !== 32) return 'a proof hash is not base64 of 32 bytes';
    if (sn === 0) return 'the proof is longer than the tree is deep';
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(subtle, concat(Uint8Array.of(0x01), p, r));
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(subtle, concat(Uint8Array.of(0x01), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : 'the proof is shorter than the tree is deep';
}

export interface CheckpointNote {
  /** The signed message: the five body lines, each with its newline. */
  body: Uint8Array;
  origin: string;
  size: number;
  rootHash: Uint8Array;
  time: string;
  signatures: { keyName: string; keyId: Uint8Array; signature: Uint8Array }[];
}

/** Parses a signed checkpoint note (C2SP signed-note + tlog-checkpoint, as ledger-core formats it), or says why not. */
export function parseCheckpointNote(note: string): CheckpointNote | string {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return 'checkpoint note has no signature block';
  const bodyText = note.slice(0, split + 1);
  const lines = bodyText.slice(0, -1).split('\n');
  if (lines.length !== 5) return `checkpoint body has ${lines.length} lines, expected 5`;
  const [origin, sizeText, rootText, timeLine, prevLine] = lines as [string, string, string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) return 'checkpoint size is not a canonical number';
  const rootHash = base64ToBytes(rootText);
  if (!rootHash || rootHash.length !== 32) return 'checkpoint root hash is not base64 of 32 bytes';
  if (!timeLine.startsWith('time ') || !prevLine.startsWith('prev ')) return 'checkpoint lacks its time or prev line';
  const signatures: CheckpointNote['signatures'] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    const blob = m ? base64ToBytes(m[2]!) : null;
    if (!m || !blob || blob.length !== 68) return `malformed signature line "${line.slice(0, 80)}"`;
    signatures.push({ keyName: m[1]!, keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  return { body: encoder.encode(bodyText), origin, size: Number(sizeText), rootHash, time: timeLine.slice(5), signatures };
}

/**
 * Accepts the note when a trusted key (same name and key id) signed it and every signature by a trusted
 * key verifies — the rule of ledger-core's `verifyCheckpoint`; signatures by unknown keys are ignored.
 */
export async function verifyNoteSignature(subtle: SubtleLike, note: CheckpointNote, keys: PublishedKey[]): Promise<{ ok: boolean; detail: string; keyName: string | null }> {
  const trusted = [];
  for (const key of keys) {
    const parsed = await parseVerifierKey(subtle, key.vkey);
    if (typeof parsed === 'string') return { ok: false, detail: `published key ${key.name}: ${parsed}`, keyName: null };
    trusted.push(parsed);
  }
  let good: string | null = null;
  for (const sig of note.signatures) {
    const key = trusted.find((k) => k.name === sig.keyName && equalBytes(k.keyId, sig.keyId));
    if (!key) continue;
    const cryptoKey = await subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
    if (!(await subtle.verify({ name: 'Ed25519' }, cryptoKey as never, sig.signature, note.body))) {
      return { ok: false, detail: `signature by ${key.name} (${toHex(key.keyId)}) does not verify`, keyName: key.name };
    }
    good = `${key.name} (${toHex(key.keyId)})`;
  }
  return good ? { ok: true, detail: `Ed25519 signature by ${good}`, keyName: good } : { ok: false, detail: 'no signature by a key the ledger publishes', keyName: null };
}

/** `name+hex(keyId)+base64(0x01‖pub)`; the key id must be SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pub)[0:4]. */
export async function parseVerifierKey(subtle: SubtleLike, text: string): Promise<{ name: string; keyId: Uint8Array; publicKey: Uint8Array } | string> {
  // Names cannot hold "+", base64 can: split on the first two only.
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text);
  if (!m) return 'not a verifier key';
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  const raw = base64ToBytes(keyB64);
  if (!raw || raw.length !== 33 || raw[0] !== 0x01) return 'not an Ed25519 verifier key';
  const keyId = hexToBytes(idHex);
  const expected = (await sha256(subtle, concat(encoder.encode(name), Uint8Array.of(0x0a), raw))).slice(0, 4);
  if (!equalBytes(keyId, expected)) return 'key id does not match the key';
  return { name, keyId, publicKey: raw.slice(1) };
}

/** The ledger entry of a search hit or story event: drop the values derived from it and the story's proof link. */
export function ledgerEntryOf(event: Record<string, unknown>): Record<string, unknown> {
  const { hash: _h, prevHash: _p, leafHash: _l, proof: _proof, ...entry } = event;
  return entry;
}

async function sha256(subtle: SubtleLike, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest('SHA-256', data));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 only (as ledger-core writes it); anything else is null. */
export function base64ToBytes(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  const bin = atob(text);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return bytesToBase64(bytes) === text ? bytes : null;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}
