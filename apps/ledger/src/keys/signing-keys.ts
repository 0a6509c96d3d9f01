import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  formatVerifierKey,
  generateSigningKey,
  parseVerifierKey,
  signerFromPem,
  type CheckpointSigner,
  type VerifierKey,
} from '@audit/ledger-core';

export interface SigningKeys {
  signer: CheckpointSigner;
  /** Every key a verifier should trust: the current one first, then retired ones (rotation). */
  trusted: VerifierKey[];
  publicKeyPem: string;
}

const DEV_KEY_FILE = join(__dirname, '..', '..', '..', '..', '.local', 'keys', 'ledger-ed25519.pem');

/**
 * Loads the checkpoint signing key from config. Outside production, a missing key is generated once into
 * .local/keys so a developer's checkpoints stay verifiable across restarts; production must supply one.
 */
export function loadSigningKeys(config: {
  NODE_ENV: string;
  LEDGER_SIGNING_KEY?: string | undefined;
  LEDGER_SIGNING_KEY_FILE?: string | undefined;
  LEDGER_KEY_NAME: string;
  LEDGER_TRUSTED_KEYS: string;
}): SigningKeys {
  let pem = config.LEDGER_SIGNING_KEY;
  if (!pem && config.LEDGER_SIGNING_KEY_FILE) pem = readFileSync(config.LEDGER_SIGNING_KEY_FILE, 'utf8');
  if (!pem) {
    if (config.NODE_ENV === 'production') throw new Error('LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE is required in production');
    if (!existsSync(DEV_KEY_FILE)) {
      mkdirSync(dirname(DEV_KEY_FILE), { recursive: true });
      writeFileSync(DEV_KEY_FILE, generateSigningKey(config.LEDGER_KEY_NAME).privateKeyPem, { mode: 0o600 });
    }
    pem = readFileSync(DEV_KEY_FILE, 'utf8');
  }
  const signer = signerFromPem(config.LEDGER_KEY_NAME, pem);
  const current: VerifierKey = { name: signer.name, keyId: signer.keyId, publicKey: signer.publicKey };
  const retired = config.LEDGER_TRUSTED_KEYS.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseVerifierKey);
  const publicKeyPem = spkiPem(signer.publicKey);
  return { signer, trusted: [current, ...retired.filter((k) => !k.keyId.equals(current.keyId))], publicKeyPem };
}

export function describeKeys(keys: SigningKeys): { name: string; keyId: string; vkey: string; current: boolean }[] {
  return keys.trusted.map((k, i) => ({ name: k.name, keyId: k.keyId.toString('hex'), vkey: formatVerifierKey(k), current: i === 0 }));
}

/** SPKI PEM of a raw Ed25519 public key (fixed 12-byte DER prefix + 32 key bytes). */
function spkiPem(raw: Buffer): string {
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
}
