import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { BUNDLE_FILES, BUNDLE_FORMAT, BundleManifest, CSV_HEADER, csvRow, type ExportRequest } from './bundle-format';
import { ChangeSpool, writeChangesJson } from './changes';
import { buildMultiProof } from './multiproof';
import { ocsfLine } from './ocsf';
import { bundleReadme } from './readme';
import { tarStream } from './tar';

/** One exported record, as stored: the canonical JSON that was hashed (null once redacted) and its leaf hash. */
export interface BundleRecord {
  seq: number;
  canonical: string | null;
  leafHash: Buffer;
}

export interface BundleMeta {
  exportId: string;
  tenant: string;
  createdAt: Date;
  requestedBy: BundleManifest['requestedBy'];
  request: ExportRequest;
  contiguous: boolean;
  /** The signed checkpoint note every record is proven against; its size must be ≥ the last seq. */
  checkpointNote: string;
  checkpoint: { origin: string; size: number; rootHash: Buffer };
  /** Leaf hashes of seqs 1..checkpoint.size, 32 bytes each, in order (no record bodies). */
  treeLeaves: Buffer;
  /** Verifier keys (C2SP text) and SPKI PEMs of the keys that may have signed the checkpoint. */
  verifierKeys: readonly string[];
  publicKeyPems: readonly string[];
  /** Where the exporter got the keys it checked the checkpoint with (manifest `keySource`, README). */
  keySource?: 'operator' | 'ledger-service';
  /**
   * Status and verdicts of the exported changes, looked up once at the end (e.g. from the query service's
   * lifecycle view) and put in each change's `summary`: keeps no record bodies in memory.
   */
  summarizeChanges?: (changeIds: readonly string[]) => Promise<ReadonlyMap<string, Record<string, unknown>>>;
}

export type BundleProgress = { phase: 'records'; records: number } | { phase: 'proof' | 'changes' | 'archive'; records: number };

class HashedFile {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  private constructor(
    readonly name: string,
    readonly path: string,
    private readonly stream: WriteStream,
  ) {}

  static async open(dir: string, name: string): Promise<HashedFile> {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    return new HashedFile(name, path, createWriteStream(path));
  }

  /** Buffers up to 256 KiB, then writes, waiting for the disk when the stream is full (bounded memory). */
  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 256 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  destroy(): void {
    this.stream.destroy();
  }

  async close(): Promise<{ path: string; sha256: string; bytes: number }> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    return { path: this.name, sha256: this.hash.digest('hex'), bytes: this.bytes };
  }
}

/**
 * Writes an export bundle in bounded memory: records are appended to files in a private staging
 * directory as they stream in (only seq numbers and change references stay in memory), the proof is
 * computed from leaf hashes only, and the files are then packed into a tar.gz.
 */
export class BundleWriter {
  private lastSeq = 0;
  private firstSeq = 0;
  private records = 0;
  private redacted = 0;
  /** Leaf indexes of the exported records and their leaf hashes: 8 + 32 bytes a record. */
  private indices = new Float64Array(1024);
  private leafHashes = Buffer.alloc(1024 * 32);

  private constructor(
    private readonly dir: string,
    private readonly tenant: string,
    private readonly events: HashedFile,
    private readonly csv: HashedFile,
    private readonly leaves: HashedFile,
    private readonly ocsf: HashedFile | undefined,
    private readonly changes: ChangeSpool,
    private readonly onProgress: (p: BundleProgress) => void,
  ) {}

  static async open(options: {
    tenant: string;
    workDir?: string;
    /** Also write events.ocsf.jsonl (request `format: "ocsf"`). */
    ocsf?: boolean;
    onProgress?: (p: BundleProgress) => void;
  }): Promise<BundleWriter> {
    const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'audit-export-'));
    const events = await HashedFile.open(dir, BUNDLE_FILES.events);
    const csv = await HashedFile.open(dir, BUNDLE_FILES.csv);
    const leaves = await HashedFile.open(dir, BUNDLE_FILES.leaves);
    const ocsf = options.ocsf ? await HashedFile.open(dir, BUNDLE_FILES.ocsf) : undefined;
    await csv.write(CSV_HEADER);
    return new BundleWriter(dir, options.tenant, events, csv, leaves, ocsf, new ChangeSpool(dir), options.onProgress ?? (() => undefined));
  }

  get count(): number {
    return this.records;
  }

  /** Appends one record; records must come in increasing seq order, all of this tenant. */
  async add(record: BundleRecord): Promise<void> {
    if (!Number.isSafeInteger(record.seq) || record.seq <= this.lastSeq) throw new RangeError(`records must come in increasing seq order (${record.seq} after ${this.lastSeq})`);
    if (record.leafHash.length !== 32) throw new RangeError(`record ${record.seq} has no 32-byte leaf hash`);
    let entry: Record<string, unknown> | null = null;
    if (record.canonical !== null) {
      if (record.canonical.includes('\n')) throw new RangeError(`record ${record.seq}: canonical JSON never contains a newline`);
      entry = JSON.parse(record.canonical) as Record<string, unknown>;
      if (entry.tenant !== this.tenant || entry.seq !== record.seq) throw new RangeError(`record ${record.seq} is not seq ${record.seq} of tenant ${this.tenant}`);
      await this.events.write(`${record.canonical}\n`);
      if (this.ocsf) await this.ocsf.write(ocsfLine(entry));
      await this.changes.add(entry);
    } else {
      this.redacted++;
    }
    await this.leaves.write(`${record.seq} ${record.leafHash.toString('base64')}${record.canonical === null ? ' redacted' : ''}\n`);
    await this.csv.write(csvRow(record.seq, entry, record.leafHash));
    this.remember(record.seq - 1, record.leafHash);
    if (this.records === 0) this.firstSeq = record.seq;
    this.lastSeq = record.seq;
    this.records++;
    if (this.records % 10_000 === 0) this.onProgress({ phase: 'records', records: this.records });
  }

  /** Writes proofs, keys, README and manifest, packs everything into `outPath` (tar.gz) and removes the staging directory. */
  async finish(meta: BundleMeta, outPath: string): Promise<{ manifest: BundleManifest; manifestSha256: string; bytes: number }> {
    try {
      if (meta.tenant !== this.tenant) throw new RangeError('meta.tenant is not the tenant the bundle was opened for');
      if (meta.checkpoint.size < this.lastSeq) throw new RangeError(`checkpoint of size ${meta.checkpoint.size} does not cover seq ${this.lastSeq}`);
      if (meta.treeLeaves.length !== meta.checkpoint.size * 32) throw new RangeError('treeLeaves must hold exactly checkpoint.size leaf hashes');
      this.onProgress({ phase: 'proof', records: this.records });
      const indices = this.indices.subarray(0, this.records);
      for (let j = 0; j < this.records; j++) {
        const i = indices[j] as number;
        if (!meta.treeLeaves.subarray(i * 32, i * 32 + 32).equals(this.leafHashes.subarray(j * 32, j * 32 + 32))) {
          throw new RangeError(`the stored leaf hash of seq ${i + 1} differs from the tree's leaf: the ledger changed under the export`);
        }
      }
      const { root, nodes } = buildMultiProof(meta.treeLeaves, indices);
      if (!root.equals(meta.checkpoint.rootHash)) throw new RangeError(`the leaves do not hash to the checkpoint root of size ${meta.checkpoint.size}`);

      if ((meta.request.format === 'ocsf') !== (this.ocsf !== undefined)) throw new RangeError('request.format "ocsf" and the writer\'s ocsf option disagree');
      const files = [await this.events.close(), await this.csv.close(), await this.leaves.close()];
      if (this.ocsf) files.push(await this.ocsf.close());
      const multiproof = await HashedFile.open(this.dir, BUNDLE_FILES.multiproof);
      await multiproof.write(`# audit-ledger multiproof v1: tree ${meta.checkpoint.size}, ${nodes.length} nodes as "<level> <index> <base64 hash>"\n`);
      for (const node of nodes) await multiproof.write(`${node.level} ${node.index} ${node.hash.toString('base64')}\n`);
      files.push(await multiproof.close());

      this.onProgress({ phase: 'changes', records: this.records });
      const changesFile = await HashedFile.open(this.dir, BUNDLE_FILES.changes);
      const summaries = meta.summarizeChanges && this.changes.size > 0 ? await meta.summarizeChanges(this.changes.changeIds()) : undefined;
      await writeChangesJson(this.changes, (text) => changesFile.write(text), summaries);
      files.push(await changesFile.close());
      await this.changes.dispose();

      const small: [string, string][] = [
        [BUNDLE_FILES.checkpoint, meta.checkpointNote],
        [BUNDLE_FILES.verifierKeys, meta.verifierKeys.map((k) => `${k}\n`).join('')],
        ...meta.publicKeyPems.map((pem, i): [string, string] => [`keys/public-key-${i + 1}.pem`, pem.endsWith('\n') ? pem : `${pem}\n`]),
        [BUNDLE_FILES.readme, bundleReadme(meta.tenant, meta.checkpoint.origin, meta.checkpoint.size, { ocsf: this.ocsf !== undefined, keySource: meta.keySource })],
      ];
      for (const [name, text] of small) {
        const file = await HashedFile.open(this.dir, name);
        await file.write(text);
        files.push(await file.close());
      }
      const manifest = BundleManifest.parse({
        format: BUNDLE_FORMAT,
        exportId: meta.exportId,
        tenant: meta.tenant,
        createdAt: meta.createdAt.toISOString(),
        requestedBy: meta.requestedBy,
        request: meta.request,
        contiguous: meta.contiguous,
        range: { firstSeq: this.firstSeq, lastSeq: this.lastSeq },
        counts: { records: this.records, redacted: this.redacted, changes: this.changes.size },
        checkpoint: { origin: meta.checkpoint.origin, size: meta.checkpoint.size, rootHash: meta.checkpoint.rootHash.toString('base64') },
        ...(meta.keySource ? { keySource: meta.keySource } : {}),
        files: files.sort((a, b) => a.path.localeCompare(b.path)),
      });
      const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
      const manifestFile = await HashedFile.open(this.dir, BUNDLE_FILES.manifest);
      await manifestFile.write(manifestText);
      const manifestEntry = await manifestFile.close();

      this.onProgress({ phase: 'archive', records: this.records });
      const order = [BUNDLE_FILES.manifest, BUNDLE_FILES.readme, ...files.map((f) => f.path).filter((p) => p !== BUNDLE_FILES.readme)];
      const entries = await Promise.all(order.map(async (name) => ({ name, path: join(this.dir, name), size: (await stat(join(this.dir, name))).size })));
      await pipeline(Readable.from(tarStream(entries, Math.floor(meta.createdAt.getTime() / 1000))), createGzip(), createWriteStream(outPath));
      return { manifest, manifestSha256: manifestEntry.sha256, bytes: (await stat(outPath)).size };
    } finally {
      await this.abort();
    }
  }

  /** Removes the staging directory (also done by finish). */
  async abort(): Promise<void> {
    for (const file of [this.events, this.csv, this.leaves, this.ocsf]) file?.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }

  private remember(index: number, leafHash: Buffer): void {
    if (this.records === this.indices.length) {
      const bigger = new Float64Array(this.indices.length * 2);
      bigger.set(this.indices);
      this.indices = bigger;
      const hashes = Buffer.alloc(this.leafHashes.length * 2);
      this.leafHashes.copy(hashes);
      this.leafHashes = hashes;
    }
    this.indices[this.records] = index;
    leafHash.copy(this.leafHashes, this.records * 32);
  }
}
