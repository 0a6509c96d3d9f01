export { JcsError, canonicalBytes, canonicalize } from './jcs';

export {
  EMPTY_TREE_ROOT,
  HASH_SIZE,
  MerkleFrontier,
  ProofError,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle';
export type { MerkleFrontierJSON } from './merkle';

export {
  DERIVED_FIELDS,
  LedgerEntryError,
  assertLedgerEntry,
  isSeq,
  leafData,
  leafHashOf,
  leafIndexOf,
} from './record';
export type { LedgerEntry } from './record';

export { CHAIN_DOMAIN, GENESIS_PREV_HASH, chainHash } from './chain';

export {
  CheckpointError,
  KeyError,
  MAX_BODY_BYTES,
  MAX_NAME_BYTES,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  checkpointNoteHash,
  computeKeyId,
  formatCheckpoint,
  formatVerifierKey,
  generateSigningKey,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  signerFromPem,
  verifierKeyFromPem,
  verifyCheckpoint,
  verifyNote,
} from './checkpoint';
export type {
  CheckpointBody,
  CheckpointSigner,
  GeneratedSigningKey,
  NoteSignature,
  ParsedCheckpoint,
  ParsedNote,
  VerifiedCheckpoint,
  VerifiedNote,
  VerifierKey,
} from './checkpoint';

export { LedgerVerifier } from './verifier';
export type { LedgerRow, LedgerVerifierOptions, VerifierState, VerifyFailure, VerifyProblem, VerifyResult } from './verifier';
export { MIN_SERVICE_SECRET_LENGTH, SERVICE_CREDENTIAL_HEADER, parseServiceSecrets, serviceSignedMessage, signServiceEvent, verifyServiceEvent } from './service-credential';
export { auditRedaction } from './redaction-audit';
export type { LegalHoldWindow, LoggedRetentionRun, RecordedRetentionRun, RedactedRow, RedactionVerdict } from './redaction-audit';
