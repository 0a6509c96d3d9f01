import { OCSF_VERSION } from './ocsf';

/** README.txt of a bundle: what is inside and how to check it without trusting whoever handed it over. */
export function bundleReadme(tenant: string, origin: string, size: number, options: { ocsf?: boolean; keySource?: 'operator' | 'ledger-service' | undefined } = {}): string {
  const ocsf = options.ocsf
    ? `  events.ocsf.jsonl      the same records mapped to OCSF ${OCSF_VERSION} events (one per record with a payload;
                         mapping table in libs/export-bundle/README.md), recomputed by the verifier too
`
    : '';
  const keys =
    options.keySource === 'ledger-service'
      ? `
Key source: the exporting service checked the checkpoint with keys it fetched from the ledger service's
GET /v1/keys at export time, i.e. from the server being exported, not with keys its operator configured.
That check only shows the checkpoint matches what that server publishes. Verify with a key you obtained
independently.
`
      : options.keySource === 'operator'
        ? `
Key source: the exporter checked the checkpoint with keys its operator configured before writing.
`
        : '';
  return `Audit ledger export — tenant ${tenant}
=====================================================================

This archive holds records of the audit ledger together with the proof that each of them is, unchanged,
at its position in the ledger whose state the signed checkpoint proof/checkpoint.note describes
(log "${origin}", ${size} records). You need nothing but this archive and the ledger's public key.

Verify (no network, no database):

  audit-ledger verify-export bundle.tar.gz --public-key ledger-key.pem
  audit-ledger verify-export bundle.tar.gz --vkey '<name>+<key id>+<base64 key>'

Take the key from a source you trust (the ledger operator's published key, your key escrow), NOT from
keys/ in this archive: those copies are for convenience and comparison only. The command prints
"VERIFIED" and exits 0, or prints "FAILED", names the first bad file or record and exits 1.

What is checked:
  1. manifest.json lists every other file with its SHA-256 and size; nothing is missing or extra.
  2. events.jsonl: every line is the RFC 8785 canonical JSON of one record exactly as the ledger hashed
     it; its leaf hash SHA-256(0x00 || line) equals the one in proof/leaves.txt; seqs strictly increase;
     every record belongs to this tenant. Records whose payload retention redacted appear in
     proof/leaves.txt only (marked "redacted"), proven through their leaf hash.
  3. proof/multiproof.txt with the leaf hashes reproduces the Merkle root (RFC 9162) of the checkpoint.
  4. proof/checkpoint.note is a C2SP signed note, signed by the key you gave, whose origin names this
     tenant's log and whose size covers every exported seq.
  5. events.csv, changes.json (and events.ocsf.jsonl when present) are recomputed from the records and
     must match (changes.json's "summary" fields, the query service's verdicts at export time, are not
     recomputed).
  6. For a plain time-range export ("contiguous": true in the manifest) no seq in the range is missing.

Files:
  manifest.json          request, requester, time, counts, seq range, checkpoint, SHA-256 of every file
  events.jsonl           the records as hashed, one per line, in seq order
  events.csv             the same records flattened (columns documented in libs/export-bundle/README.md)
  changes.json           the changes these records belong to, with their events (and verdicts when exported
                         through the query service)
  proof/checkpoint.note  the signed checkpoint
  proof/leaves.txt       "<seq> <base64 leaf hash>[ redacted]" for every exported record
  proof/multiproof.txt   "<level> <index> <base64 hash>": the tree nodes the records do not determine
${ocsf}  keys/                  verifier keys (C2SP vkey text) and SPKI PEM public keys

The manifest itself is not signed: the ledger records every export as an "export.created" event whose
details carry the manifest's SHA-256, so who asked for what can be checked against the ledger later.
${keys}`;
}
