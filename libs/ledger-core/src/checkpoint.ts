/**
 * Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed-note envelopes, signed with Ed25519.
 *
 * A note is its text, one blank line, then one or more signature lines. Verifiers trust keys by
 * (name, key id); signatures by keys they do not know are ignored, which is how key rotation works.
 * `signNote`/`parseNote`/`verifyNote` are the envelope alone; the `*Checkpoint` functions add the
 * checkpoint body. Exact byte formats are in this library's README.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { HASH_SIZE, decodeBase64Strict, hasLoneSurrogate, isBytes, isHash } from './bytes';
import { isRfc3339Utc } from './time';

/** Upper bound on a whole note (body, blank line, signature lines), in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 16_384;
/** Upper bound on the body text, in UTF-8 bytes. */
export const MAX_BODY_BYTES = 1_024;
/** Upper bound on the number of signature lines of one note. */
export const MAX_SIGNATURES = 16;
/** Upper bound on an origin or a key name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;

/** Signature algorithm byte of C2SP signed-note for Ed25519. */
const ED25519 = 0x01;
const KEY_ID_SIZE = 4;
const PUBLIC_KEY_SIZE = 32;
const SIGNATURE_SIZE = 64;
/** Em dash (U+2014) and a space open every signature line. */
const SIGNATURE_LINE_START = '\u2014 ';

/** A checkpoint note or one of its parts is malformed, or no trusted signature verifies. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** A key, key name or key text is unusable. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

/** What a checkpoint commits to. */
export interface CheckpointBody {
  /** Names the log, e.g. `audit-ledger.example/tenant/acme`. */
  readonly origin: string;
  /** Number of leaves (records) in the tree. */
  readonly size: number;
  /** Merkle tree root of the first `size` leaves (32 bytes). */
  readonly rootHash: Buffer;
  /** When the checkpoint was made: RFC 3339 in UTC, e.g. `2025-01-31T12:00:00.000Z`. */
  readonly time: string;
  /** SHA-256 of the previous checkpoint's complete note text; null for the log's first checkpoint. */
  readonly prevNoteHash: Buffer | null;
}

export interface NoteSignature {
  readonly keyName: string;
  readonly keyId: Buffer;
  readonly signature: Buffer;
}

export interface ParsedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface VerifiedNote {
  readonly text: string;
  /** Names of the trusted keys whose signatures verified. */
  readonly signedBy: readonly string[];
}

export interface ParsedCheckpoint {
  readonly body: CheckpointBody;
  /** The signed text: the body lines, each ending in a newline. */
  readonly bodyText: string;
  readonly signatures: readonly NoteSignature[];
}

/** A checkpoint body whose note carries at least one valid signature by a trusted key. */
export interface VerifiedCheckpoint extends CheckpointBody {
  /** Names of the trusted keys whose signatures verified. */
  readonly signedBy: readonly string[];
  /** SHA-256 of the complete note text: the `prevNoteHash` the next checkpoint must carry. */
  readonly noteHash: Buffer;
}

/** Anything that can produce Ed25519 signatures for a named key (a local key, or a KMS client). */
export interface CheckpointSigner {
  readonly name: string;
  readonly keyId: Buffer;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Buffer;
}

/** A public key a verifier trusts, identified like a C2SP note verifier key. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: Buffer;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
}

export interface GeneratedSigningKey {
  readonly signer: CheckpointSigner;
  readonly verifierKey: VerifierKey;
  /** PKCS #8 PEM of the private key: a secret, to be stored like one. */
  readonly privateKeyPem: string;
  /** SPKI PEM of the public key. */
  readonly publicKeyPem: string;
}

/** `<origin>\n<size>\n<base64 root>\ntime <time>\nprev <base64 hash | ->\n`: the text signatures cover. */
export function formatCheckpoint(body: CheckpointBody): string {
  const problem = nameProblem(body.origin);
  if (problem !== undefined) {
    throw new CheckpointError(`origin ${problem}`);
  }
  if (!Number.isSafeInteger(body.size) || body.size < 0) {
    throw new CheckpointError(`size ${String(body.size)} is not an integer in [0, 2^53)`);
  }
  if (!isHash(body.rootHash)) {
    throw new CheckpointError(`root hash must be ${HASH_SIZE} bytes`);
  }
  if (typeof body.time !== 'string' || !isRfc3339Utc(body.time)) {
    throw new CheckpointError('time must be an RFC 3339 UTC timestamp ending in Z');
  }
  if (body.prevNoteHash !== null && !isHash(body.prevNoteHash)) {
    throw new CheckpointError(`prev note hash must be ${HASH_SIZE} bytes or null`);
  }
  const prev = body.prevNoteHash === null ? '-' : Buffer.from(body.prevNoteHash).toString('base64');
  const root = Buffer.from(body.rootHash).toString('base64');
  return `${body.origin}\n${body.size}\n${root}\ntime ${body.time}\nprev ${prev}\n`;
}

/** The complete signed note: body text, a blank line, then one signature line per signer. */
export function signCheckpoint(body: CheckpointBody, signers: CheckpointSigner | readonly CheckpointSigner[]): string {
  return signNote(formatCheckpoint(body), signers);
}

/**
 * Parses a signed checkpoint note without checking signatures. Strict: exactly the five body lines in
 * order, canonical decimal size, canonical base64 of the right lengths, RFC 3339 UTC time, at least one
 * well-formed signature line, no duplicate signatures, nothing else, and within the size limits.
 * @throws CheckpointError saying what is wrong.
 */
export function parseCheckpoint(note: string): ParsedCheckpoint {
  const { text, signatures } = parseNote(note);
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new CheckpointError(`checkpoint body is longer than ${MAX_BODY_BYTES} bytes`);
  }
  return { body: parseBody(text), bodyText: text, signatures };
}

/**
 * Parses a checkpoint note and checks its signatures against `trustedKeys`, as `verifyNote` does.
 * @throws CheckpointError when the note is malformed, a trusted signature is bad, or none is present.
 */
export function verifyCheckpoint(note: string, trustedKeys: readonly VerifierKey[]): VerifiedCheckpoint {
  const keys = checkTrustedKeys(trustedKeys);
  const { body, bodyText, signatures } = parseCheckpoint(note);
  const signedBy = verifySignatures(bodyText, signatures, keys);
  return { ...body, signedBy, noteHash: checkpointNoteHash(note) };
}

/**
 * Signs any note text (non-empty, well-formed, newline-terminated lines, no control characters): the
 * C2SP signed-note layer under checkpoints.
 */
export function signNote(text: string, signers: CheckpointSigner | readonly CheckpointSigner[]): string {
  checkNoteText(text, 'note text');
  const list: readonly CheckpointSigner[] = isSignerList(signers) ? signers : [signers];
  if (list.length === 0 || list.length > MAX_SIGNATURES) {
    throw new CheckpointError(`a note needs 1 to ${MAX_SIGNATURES} signers, got ${list.length}`);
  }
  const message = Buffer.from(text, 'utf8');
  const seen = new Set<string>();
  const lines = list.map((signer) => {
    const key = checkVerifierKey(signer);
    const identity = `${key.name}+${key.keyId.toString('hex')}`;
    if (seen.has(identity)) {
      throw new CheckpointError(`signer ${key.name} is listed twice`);
    }
    seen.add(identity);
    const signature = signer.sign(message);
    // A signer may be remote (KMS); check what it returned before publishing it.
    if (
      !isBytes(signature) ||
      signature.byteLength !== SIGNATURE_SIZE ||
      !verify(null, message, publicKeyObject(key.publicKey), signature)
    ) {
      throw new CheckpointError(`signer ${key.name} returned a signature that does not verify with its public key`);
    }
    const blob = Buffer.concat([key.keyId, signature]).toString('base64');
    return `${SIGNATURE_LINE_START}${key.name} ${blob}\n`;
  });
  const note = `${text}\n${lines.join('')}`;
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new CheckpointError(`signed note would be longer than ${MAX_NOTE_BYTES} bytes`);
  }
  return note;
}

/**
 * Splits a signed note into its text and signature lines without checking signatures.
 * @throws CheckpointError when the envelope is malformed or over the limits.
 */
export function parseNote(note: string): ParsedNote {
  checkNoteText(note, 'note');
  // The signatures follow the last blank line (C2SP signed-note).
  const split = note.lastIndexOf('\n\n');
  if (split === -1) {
    throw new CheckpointError('note has no blank line before its signatures');
  }
  return { text: note.slice(0, split + 1), signatures: parseSignatures(note.slice(split + 2)) };
}

/**
 * Checks the signatures of a note against `trustedKeys` and returns its text. Signatures by keys not
 * in the list (matched by name and key id) are ignored, so retired keys can stay trusted to verify old
 * notes. A signature by a trusted key that does not verify is a forgery and rejects the whole note,
 * even when another trusted signature verifies.
 * @throws CheckpointError when the note is malformed, a trusted signature is bad, or none is present.
 */
export function verifyNote(note: string, trustedKeys: readonly VerifierKey[]): VerifiedNote {
  const keys = checkTrustedKeys(trustedKeys);
  const { text, signatures } = parseNote(note);
  return { text, signedBy: verifySignatures(text, signatures, keys) };
}

/** SHA-256 of the UTF-8 bytes of a complete note, as carried by the next checkpoint's `prev` line. */
export function checkpointNoteHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** First 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey): the C2SP signed-note Ed25519 key id. */
export function computeKeyId(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519]))
    .update(publicKey)
    .digest()
    .subarray(0, KEY_ID_SIZE);
}

/** A fresh Ed25519 key named `name`, with its signer, verifier key and PEM exports. */
export function generateSigningKey(name: string): GeneratedSigningKey {
  checkKeyName(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signer: localSigner(name, privateKey),
    verifierKey: makeVerifierKey(name, rawPublicKey(publicKey)),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A signer for the Ed25519 private key in `pem` (PKCS #8). */
export function signerFromPem(name: string, pem: string): CheckpointSigner {
  checkKeyName(name);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyError(`private key of ${name} is not a readable PEM`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(`private key of ${name} is ${String(key.asymmetricKeyType)}, not ed25519`);
  }
  return localSigner(name, key);
}

/** The verifier key for the Ed25519 public key in `pem` (SPKI). Private keys are refused. */
export function verifierKeyFromPem(name: string, pem: string): VerifierKey {
  checkKeyName(name);
  // createPublicKey would derive a public key from a private one; a verifier must never hold one.
  if (typeof pem !== 'string' || pem.includes('PRIVATE KEY')) {
    throw new KeyError(`public key of ${name} must be a public key PEM`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyError(`public key of ${name} is not a readable PEM`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(`public key of ${name} is ${String(key.asymmetricKeyType)}, not ed25519`);
  }
  return makeVerifierKey(name, rawPublicKey(key));
}

/** C2SP vkey text: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`. */
export function formatVerifierKey(key: VerifierKey): string {
  const checked = checkVerifierKey(key);
  const encoded = Buffer.concat([Buffer.from([ED25519]), checked.publicKey]).toString('base64');
  return `${checked.name}+${checked.keyId.toString('hex')}+${encoded}`;
}

/** Parses C2SP vkey text, checking that the key id matches the name and key. */
export function parseVerifierKey(text: string): VerifierKey {
  if (typeof text !== 'string') {
    throw new KeyError('verifier key must be a string');
  }
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first === -1 || second === -1) {
    throw new KeyError('verifier key must look like <name>+<hex key id>+<base64 key>');
  }
  const name = text.slice(0, first);
  const keyIdHex = text.slice(first + 1, second);
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(keyIdHex)) {
    throw new KeyError('verifier key id must be 8 lowercase hex digits');
  }
  const encoded = decodeBase64Strict(text.slice(second + 1));
  if (encoded === undefined || encoded.length !== 1 + PUBLIC_KEY_SIZE || encoded[0] !== ED25519) {
    throw new KeyError('verifier key must be base64 of 0x01 followed by a 32-byte Ed25519 public key');
  }
  const key = makeVerifierKey(name, encoded.subarray(1));
  if (key.keyId.toString('hex') !== keyIdHex) {
    throw new KeyError(`verifier key id ${keyIdHex} does not match the name and public key`);
  }
  return key;
}

function checkNoteText(text: string, what: string): void {
  if (typeof text !== 'string' || text.length === 0) {
    throw new CheckpointError(`${what} must be a non-empty string`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_NOTE_BYTES) {
    throw new CheckpointError(`${what} is longer than ${MAX_NOTE_BYTES} bytes`);
  }
  if (hasLoneSurrogate(text)) {
    throw new CheckpointError(`${what} is not valid Unicode`);
  }
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) {
    throw new CheckpointError(`${what} contains a control character other than newline`);
  }
  if (!text.endsWith('\n')) {
    throw new CheckpointError(`${what} does not end with a newline`);
  }
}

function checkTrustedKeys(trustedKeys: readonly VerifierKey[]): VerifierKey[] {
  if (!Array.isArray(trustedKeys)) {
    throw new KeyError('trusted keys must be an array');
  }
  return trustedKeys.map(checkVerifierKey);
}

function verifySignatures(text: string, signatures: readonly NoteSignature[], keys: readonly VerifierKey[]): string[] {
  const message = Buffer.from(text, 'utf8');
  const signedBy: string[] = [];
  for (const { keyName, keyId, signature } of signatures) {
    const key = keys.find((candidate) => candidate.name === keyName && candidate.keyId.equals(keyId));
    if (key === undefined) {
      continue;
    }
    if (!verify(null, message, publicKeyObject(key.publicKey), signature)) {
      throw new CheckpointError(`signature by trusted key ${key.name} does not verify`);
    }
    signedBy.push(key.name);
  }
  if (signedBy.length === 0) {
    const names = signatures.map((signature) => signature.keyName).join(', ');
    throw new CheckpointError(`no signature by a trusted key (signed by: ${names})`);
  }
  return signedBy;
}

function parseBody(bodyText: string): CheckpointBody {
  const lines = bodyText.slice(0, -1).split('\n');
  if (lines.length !== 5) {
    throw new CheckpointError(`checkpoint body has ${lines.length} lines, expected 5 (origin, size, root, time, prev)`);
  }
  const [origin, sizeLine, rootLine, timeLine, prevLine] = lines as [string, string, string, string, string];
  const originProblem = nameProblem(origin);
  if (originProblem !== undefined) {
    throw new CheckpointError(`checkpoint origin ${originProblem}`);
  }
  // Canonical decimal only: no sign, no leading zeros, no exponent, below 2^53.
  const size = Number(sizeLine);
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(sizeLine) || !Number.isSafeInteger(size)) {
    throw new CheckpointError('checkpoint size is not a canonical decimal integer below 2^53');
  }
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(`checkpoint root hash is not canonical base64 of ${HASH_SIZE} bytes`);
  }
  const time = timeLine.startsWith('time ') ? timeLine.slice('time '.length) : '';
  if (!isRfc3339Utc(time)) {
    throw new CheckpointError('checkpoint line 4 must be "time <RFC 3339 UTC timestamp ending in Z>"');
  }
  if (!prevLine.startsWith('prev ')) {
    throw new CheckpointError('checkpoint line 5 must be "prev <base64 note hash or ->"');
  }
  const prevText = prevLine.slice('prev '.length);
  const prevNoteHash = prevText === '-' ? null : decodeBase64Strict(prevText);
  if (prevNoteHash === undefined || (prevNoteHash !== null && prevNoteHash.length !== HASH_SIZE)) {
    throw new CheckpointError(`checkpoint prev is neither "-" nor canonical base64 of ${HASH_SIZE} bytes`);
  }
  return { origin, size, rootHash, time, prevNoteHash };
}

function parseSignatures(text: string): NoteSignature[] {
  if (text.length === 0) {
    throw new CheckpointError('note has no signature lines');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new CheckpointError(`checkpoint note has more than ${MAX_SIGNATURES} signature lines`);
  }
  const seen = new Set<string>();
  return lines.map((line, index) => {
    const space = line.indexOf(' ', SIGNATURE_LINE_START.length);
    if (!line.startsWith(SIGNATURE_LINE_START) || space === -1) {
      throw new CheckpointError(`signature line ${index + 1} must be "\u2014 <key name> <base64>"`);
    }
    const keyName = line.slice(SIGNATURE_LINE_START.length, space);
    const problem = nameProblem(keyName);
    if (problem !== undefined) {
      throw new CheckpointError(`signature line ${index + 1}: key name ${problem}`);
    }
    const blob = decodeBase64Strict(line.slice(space + 1));
    if (blob === undefined || blob.length !== KEY_ID_SIZE + SIGNATURE_SIZE) {
      throw new CheckpointError(
        `signature line ${index + 1}: not canonical base64 of a ${KEY_ID_SIZE}-byte key id ` +
          `and a ${SIGNATURE_SIZE}-byte signature`,
      );
    }
    const keyId = blob.subarray(0, KEY_ID_SIZE);
    const identity = `${keyName}+${keyId.toString('hex')}`;
    if (seen.has(identity)) {
      throw new CheckpointError(`signature line ${index + 1} repeats key ${keyName}`);
    }
    seen.add(identity);
    return { keyName, keyId, signature: blob.subarray(KEY_ID_SIZE) };
  });
}

// C2SP signed-note: names are non-empty and contain no Unicode spaces or "+". Control, format,
// private-use and unassigned code points are refused too, so a name always prints as it compares.
const NAME_PATTERN = /^[^\s+\p{C}]+$/u;

function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    return 'must be non-empty, without spaces, "+" or control characters';
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return `must be at most ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

function checkKeyName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new KeyError(`key name ${problem}`);
  }
}

function checkVerifierKey(key: VerifierKey): VerifierKey {
  checkKeyName(key.name);
  if (!isBytes(key.publicKey) || key.publicKey.byteLength !== PUBLIC_KEY_SIZE) {
    throw new KeyError(`public key of ${key.name} must be ${PUBLIC_KEY_SIZE} raw bytes`);
  }
  const keyId = computeKeyId(key.name, key.publicKey);
  if (!isBytes(key.keyId) || !keyId.equals(key.keyId)) {
    throw new KeyError(`key id of ${key.name} does not match its name and public key`);
  }
  return makeVerifierKey(key.name, key.publicKey);
}

function makeVerifierKey(name: string, publicKey: Uint8Array): VerifierKey {
  const raw = Buffer.from(publicKey);
  try {
    publicKeyObject(raw);
  } catch {
    throw new KeyError(`public key of ${name} is not a usable Ed25519 key`);
  }
  return { name, keyId: computeKeyId(name, raw), publicKey: raw };
}

function localSigner(name: string, privateKey: KeyObject): CheckpointSigner {
  const { keyId, publicKey } = makeVerifierKey(name, rawPublicKey(createPublicKey(privateKey)));
  return {
    name,
    keyId,
    publicKey,
    sign: (message: Uint8Array): Buffer => sign(null, message, privateKey),
  };
}

function rawPublicKey(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') {
    throw new KeyError('public key has no raw Ed25519 form');
  }
  return Buffer.from(x, 'base64url');
}

function publicKeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
}

function isSignerList(value: CheckpointSigner | readonly CheckpointSigner[]): value is readonly CheckpointSigner[] {
  return Array.isArray(value);
}
