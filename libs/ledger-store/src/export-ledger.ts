import type { Pool } from 'pg';
import { BundleWriter, type BundleManifest, type BundleMeta, type BundleProgress, type ExportRequest } from '@audit/export-bundle';
import { formatVerifierKey, parseCheckpoint, verifierKeyFromPem, verifyCheckpoint, type VerifierKey } from '@audit/ledger-core';
import { leafHashBuffer, seqRangeRecorded, streamExportRows } from './export-reads';
import { latestCheckpoint } from './read-ledger';

export interface LedgerExportOptions {
  tenant: string;
  exportId: string;
  now: Date;
  requestedBy: BundleManifest['requestedBy'];
  request: ExportRequest;
  /** Keys the checkpoint must verify with before anything is written; they travel in the bundle. */
  trustedKeys: readonly VerifierKey[];
  publicKeyPems: readonly string[];
  /** In-memory filter (e.g. the query language) on each record's entry; makes the export non-contiguous. */
  filter?: (entry: Record<string, unknown>) => boolean;
  /** Status and verdicts of the exported changes, looked up once at the end (no record bodies kept). */
  summarizeChanges?: BundleMeta['summarizeChanges'];
  /** Where `trustedKeys`/`publicKeyPems` came from (recorded in the manifest and README). */
  keySource?: BundleMeta['keySource'];
  /** `total`: the records the export will hold, when known up front (a plain range); absent for a change or a filter. */
  onProgress?: (progress: BundleProgress & { total?: number }) => void;
  workDir?: string;
}

export interface LedgerExportResult {
  manifest: BundleManifest;
  manifestSha256: string;
  bytes: number;
}

/**
 * Writes an export bundle of one tenant's ledger to `outPath`: the records recorded in [from, to) up to
 * the latest signed checkpoint (later records are not signed yet and are left out), optionally one
 * change's or those a filter keeps, with the multi-proof against that checkpoint. Streams rows; holds
 * the checkpoint's leaf hashes (32 bytes a record) for the proof.
 */
export async function writeLedgerExport(pool: Pool, options: LedgerExportOptions, outPath: string): Promise<LedgerExportResult> {
  const { tenant, request } = options;
  const checkpoint = await latestCheckpoint(pool, tenant);
  if (!checkpoint) throw new Error(`tenant ${tenant} has no signed checkpoint yet: nothing can be proven`);
  const verified = verifyCheckpoint(checkpoint.note, options.trustedKeys.length > 0 ? options.trustedKeys : keysFromPems(checkpoint.note, options.publicKeyPems));
  const range = await seqRangeRecorded(pool, tenant, {
    maxSeq: verified.size,
    ...(request.from ? { from: new Date(request.from) } : {}),
    ...(request.to ? { to: new Date(request.to) } : {}),
  });
  const writer = await BundleWriter.open({
    tenant,
    ...(options.workDir ? { workDir: options.workDir } : {}),
    ocsf: request.format === 'ocsf',
    onProgress: (p) => options.onProgress?.(request.change || options.filter ? p : { ...p, total: range ? range.lastSeq - range.firstSeq + 1 : 0 }),
  });
  try {
    if (range) {
      const rows = streamExportRows(pool, tenant, { fromSeq: range.firstSeq, toSeq: range.lastSeq, ...(request.change ? { changeId: request.change } : {}) });
      for await (const row of rows) {
        if (options.filter && row.canonical !== null && !options.filter(JSON.parse(row.canonical) as Record<string, unknown>)) continue;
        // A filter cannot look into a redacted payload; such records are kept only in unfiltered exports.
        if (options.filter && row.canonical === null) continue;
        await writer.add(row);
      }
    }
    const vkeys = options.trustedKeys.length > 0 ? options.trustedKeys : keysFromPems(checkpoint.note, options.publicKeyPems);
    return await writer.finish(
      {
        exportId: options.exportId,
        tenant,
        createdAt: options.now,
        requestedBy: options.requestedBy,
        request,
        contiguous: !options.filter && !request.change,
        checkpointNote: checkpoint.note,
        checkpoint: { origin: verified.origin, size: verified.size, rootHash: verified.rootHash },
        treeLeaves: await leafHashBuffer(pool, tenant, verified.size),
        verifierKeys: [...new Set(vkeys.map(formatVerifierKey))],
        publicKeyPems: options.publicKeyPems,
        ...(options.keySource ? { keySource: options.keySource } : {}),
        ...(options.summarizeChanges ? { summarizeChanges: options.summarizeChanges } : {}),
      },
      outPath,
    );
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function keysFromPems(note: string, pems: readonly string[]): VerifierKey[] {
  // The PEM has no name; the checkpoint's signature lines say which names to try (the key id decides).
  const names = new Set(parseCheckpoint(note).signatures.map((s) => s.keyName));
  return [...names].flatMap((name) => pems.map((pem) => verifierKeyFromPemSafe(name, pem))).filter((k): k is VerifierKey => k !== undefined);
}

function verifierKeyFromPemSafe(name: string, pem: string): VerifierKey | undefined {
  try {
    return verifierKeyFromPem(name, pem);
  } catch {
    return undefined;
  }
}
