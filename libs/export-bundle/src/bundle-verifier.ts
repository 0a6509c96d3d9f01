import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import {
  CheckpointError,
  canonicalize,
  hashLeaf,
  parseCheckpoint,
  parseNote,
  verifierKeyFromPem,
  verifyCheckpoint,
  type ParsedCheckpoint,
  type VerifierKey,
} from '@audit/ledger-core';
import { BUNDLE_FILES, BundleManifest, CSV_HEADER, CSV_HEADER_V1, PEM_FILE, csvRow, type CsvLayout } from './bundle-format';
import { ChangeSpool } from './changes';
import { MultiProofError, verifyMultiProof, type ProofNode } from './multiproof';
import { ocsfLine } from './ocsf';
import { readTar, tarStream, TarError } from './tar';

export interface BundleProblem {
  /** The file at fault, e.g. `events.jsonl`, or the bundle itself. */
  file: string;
  /** The record at fault, when there is one. */
  seq?: number;
  detail: string;
}

export interface BundleVerdict {
  ok: boolean;
  tenant: string | undefined;
  records: number;
  redacted: number;
  checkpoint: { origin: string; size: number; rootHash: string; signedBy: readonly string[] } | undefined;
  /** The first problems found, in the order checked (at most 50); `problemCount` counts them all. */
  problems: BundleProblem[];
  problemCount: number;
}

export interface VerifyBundleOptions {
  /** Trusted verifier keys (`parseVerifierKey`). */
  trustedKeys?: readonly VerifierKey[];
  /** Trusted SPKI PEM public keys; their names are taken from the checkpoint's signature lines and must match its key ids. */
  publicKeyPems?: readonly string[];
  /** Expected tenant (default: the manifest's, which the records and checkpoint must then agree with). */
  tenant?: string;
  /** Exact checkpoint origin expected (default: any origin ending in `/tenant/<tenant>`). */
  origin?: string;
  /** Largest file accepted inside a bundle (default 16 GiB). */
  maxFileBytes?: number;
  workDir?: string;
}

const MAX_PROBLEMS = 50;
const LEAF_LINE = /^([1-9][0-9]{0,15}) ([A-Za-z0-9+/]{43}=)( redacted)?$/;
const NODE_LINE = /^(0|[1-9][0-9]{0,1}) (0|[1-9][0-9]{0,15}) ([A-Za-z0-9+/]{43}=)$/;

class Problems {
  readonly list: BundleProblem[] = [];
  count = 0;
  add(file: string, detail: string, seq?: number): void {
    this.count++;
    if (this.list.length < MAX_PROBLEMS) this.list.push({ file, detail, ...(seq !== undefined ? { seq } : {}) });
  }
}

/**
 * Verifies an export bundle (a .tar.gz, or a directory it was unpacked into) using nothing but its files
 * and the trusted keys: no network, no database. Never throws for a bad bundle; every problem found is
 * in the verdict. Memory: 40 bytes a record (leaf index and hash) plus the change references.
 */
export async function verifyBundle(path: string, options: VerifyBundleOptions): Promise<BundleVerdict> {
  const problems = new Problems();
  const isDir = (await stat(path)).isDirectory();
  const dir = isDir ? path : await mkdtemp(join(options.workDir ?? tmpdir(), 'audit-verify-'));
  try {
    const names = isDir ? await listFiles(dir) : await extract(path, dir, options.maxFileBytes ?? 16 * 1024 ** 3, problems);
    if (names === undefined) return verdict(problems, undefined, 0, 0, undefined);
    return await verifyFiles(dir, new Set(names), options, problems);
  } finally {
    if (!isDir) await rm(dir, { recursive: true, force: true });
  }
}

async function verifyFiles(dir: string, names: Set<string>, options: VerifyBundleOptions, problems: Problems): Promise<BundleVerdict> {
  const file = (name: string) => join(dir, name);
  // 1. The manifest, and every file against it.
  if (!names.has(BUNDLE_FILES.manifest)) {
    problems.add(BUNDLE_FILES.manifest, 'the bundle has no manifest.json');
    return verdict(problems, undefined, 0, 0, undefined);
  }
  let manifest: BundleManifest;
  try {
    if ((await stat(file(BUNDLE_FILES.manifest))).size > 1024 * 1024) throw new Error('larger than 1 MiB');
    const parsed = BundleManifest.safeParse(JSON.parse(await readFile(file(BUNDLE_FILES.manifest), 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    manifest = parsed.data;
  } catch (error) {
    problems.add(BUNDLE_FILES.manifest, `not a valid manifest: ${(error as Error).message}`);
    return verdict(problems, undefined, 0, 0, undefined);
  }
  const tenant = options.tenant ?? manifest.tenant;
  if (manifest.tenant !== tenant) problems.add(BUNDLE_FILES.manifest, `the manifest is for tenant ${manifest.tenant}, not ${tenant}`);

  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  if (listed.size !== manifest.files.length) problems.add(BUNDLE_FILES.manifest, 'a file is listed twice');
  for (const name of [...names].sort()) {
    if (name !== BUNDLE_FILES.manifest && !listed.has(name)) problems.add(name, 'file is not listed in the manifest');
  }
  for (const entry of manifest.files) {
    if (!names.has(entry.path)) {
      problems.add(entry.path, 'file listed in the manifest is missing');
      continue;
    }
    const { sha256, bytes } = await digest(file(entry.path));
    if (sha256 !== entry.sha256 || bytes !== entry.bytes) problems.add(entry.path, `SHA-256 ${sha256} (${bytes} bytes) differs from the manifest's ${entry.sha256} (${entry.bytes} bytes)`);
  }
  for (const required of [BUNDLE_FILES.events, BUNDLE_FILES.leaves, BUNDLE_FILES.multiproof, BUNDLE_FILES.checkpoint, BUNDLE_FILES.csv, BUNDLE_FILES.changes]) {
    if (!names.has(required)) {
      problems.add(required, 'required file is missing');
      return verdict(problems, tenant, 0, 0, undefined);
    }
  }

  const wantsOcsf = manifest.request.format === 'ocsf';
  if (wantsOcsf && !names.has(BUNDLE_FILES.ocsf)) problems.add(BUNDLE_FILES.ocsf, 'required file is missing (the request asked for format "ocsf")');
  if (!wantsOcsf && names.has(BUNDLE_FILES.ocsf)) problems.add(BUNDLE_FILES.ocsf, 'the request did not ask for format "ocsf"');

  // 2. The checkpoint: signature by a trusted key, this tenant's log.
  const note = await readLimited(file(BUNDLE_FILES.checkpoint), 16 * 1024);
  const checkpointInfo = checkCheckpoint(note, tenant, options, manifest, problems);
  const body = checkpointInfo?.parsed.body;

  // 3. Records against their leaf hashes; CSV and changes recomputed from them.
  // The recomputed changes spill to a scratch directory of their own (never into a bundle directory given to us).
  const scratch = await mkdtemp(join(options.workDir ?? tmpdir(), 'audit-verify-changes-'));
  const records = await checkRecords(dir, tenant, manifest, body?.size, wantsOcsf && names.has(BUNDLE_FILES.ocsf), problems, scratch).finally(() =>
    rm(scratch, { recursive: true, force: true }),
  );

  // 4. The multi-proof from the exported leaves to the signed root.
  if (body) {
    try {
      verifyMultiProof(body.size, body.rootHash, records.indices.subarray(0, records.count), records.leafHashes.subarray(0, records.count * 32), await readProofNodes(file(BUNDLE_FILES.multiproof)));
    } catch (error) {
      if (!(error instanceof MultiProofError)) throw error;
      problems.add(BUNDLE_FILES.multiproof, error.message);
    }
  }
  const checkpoint = body && checkpointInfo ? { origin: body.origin, size: body.size, rootHash: body.rootHash.toString('base64'), signedBy: checkpointInfo.signedBy } : undefined;
  return verdict(problems, tenant, records.count, records.redacted, checkpoint);
}

function checkCheckpoint(
  note: string | undefined,
  tenant: string,
  options: VerifyBundleOptions,
  manifest: BundleManifest,
  problems: Problems,
): { parsed: ParsedCheckpoint; signedBy: readonly string[] } | undefined {
  const where = BUNDLE_FILES.checkpoint;
  if (note === undefined) {
    problems.add(where, 'checkpoint note is larger than 16 KiB');
    return undefined;
  }
  let parsed: ParsedCheckpoint;
  try {
    parsed = parseCheckpoint(note);
  } catch (error) {
    problems.add(where, `not a checkpoint note: ${(error as Error).message}`);
    return undefined;
  }
  let signedBy: readonly string[] = [];
  try {
    signedBy = verifyCheckpoint(note, trustedKeysFor(note, options)).signedBy;
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    problems.add(where, `signature: ${error.message}`);
  }
  const { origin, size, rootHash } = parsed.body;
  if (options.origin ? origin !== options.origin : !origin.endsWith(`/tenant/${tenant}`)) {
    problems.add(where, `checkpoint origin ${origin} is not tenant ${tenant}'s log${options.origin ? ` (${options.origin})` : ''}`);
  }
  const claimed = manifest.checkpoint;
  if (claimed.origin !== origin || claimed.size !== size || claimed.rootHash !== rootHash.toString('base64')) {
    problems.add(BUNDLE_FILES.manifest, `the manifest's checkpoint (${claimed.size}, ${claimed.rootHash}) is not the one in ${where} (${size}, ${rootHash.toString('base64')})`);
  }
  if (size < manifest.range.lastSeq) problems.add(where, `checkpoint of size ${size} does not cover the last exported seq ${manifest.range.lastSeq}`);
  return { parsed, signedBy };
}

/** The verifier keys given, plus each PEM under every key name the note's signatures use (the key id then decides). */
function trustedKeysFor(note: string, options: VerifyBundleOptions): VerifierKey[] {
  const keys = [...(options.trustedKeys ?? [])];
  const pems = options.publicKeyPems ?? [];
  if (pems.length > 0) {
    for (const name of new Set(parseNote(note).signatures.map((s) => s.keyName))) {
      for (const pem of pems) keys.push(verifierKeyFromPem(name, pem));
    }
  }
  return keys;
}

interface RecordScan {
  count: number;
  redacted: number;
  indices: Float64Array;
  leafHashes: Buffer;
}

/** A missing or unreadable CSV is reported by the file checks; here it only means "no old header". */
async function csvLayout(path: string): Promise<CsvLayout> {
  try {
    const it = lines(path);
    const first = await it.next();
    await it.return?.(undefined);
    return !first.done && `${first.value}\r\n` === CSV_HEADER_V1 ? 'v1' : 'current';
  } catch {
    return 'current';
  }
}

async function checkRecords(dir: string, tenant: string, manifest: BundleManifest, treeSize: number | undefined, withOcsf: boolean, problems: Problems, scratch: string): Promise<RecordScan> {
  const scan: RecordScan = { count: 0, redacted: 0, indices: new Float64Array(1024), leafHashes: Buffer.alloc(1024 * 32) };
  const events = lines(join(dir, BUNDLE_FILES.events));
  const changes = new ChangeSpool(scratch);
  // The header says which layout the bundle was written with; every row is then recomputed in that layout.
  const layout = await csvLayout(join(dir, BUNDLE_FILES.csv));
  const csv = createHash('sha256').update(layout === 'v1' ? CSV_HEADER_V1 : CSV_HEADER);
  const ocsf = createHash('sha256');
  let eventLine = 0;
  let lastSeq = 0;
  let firstSeq = 0;
  let leafLine = 0;
  for await (const line of lines(join(dir, BUNDLE_FILES.leaves))) {
    leafLine++;
    const m = LEAF_LINE.exec(line);
    if (!m) {
      problems.add(BUNDLE_FILES.leaves, `line ${leafLine} is not "<seq> <base64 leaf hash>[ redacted]"`);
      break;
    }
    const seq = Number(m[1]);
    const leafHash = Buffer.from(m[2] as string, 'base64');
    const redacted = m[3] !== undefined;
    if (seq <= lastSeq) problems.add(BUNDLE_FILES.leaves, `seq ${seq} at line ${leafLine} does not come after seq ${lastSeq} (reordered or duplicated record)`, seq);
    else if (manifest.contiguous && lastSeq > 0 && seq !== lastSeq + 1) problems.add(BUNDLE_FILES.leaves, `seq ${lastSeq + 1} is missing from a contiguous export (dropped record)`, lastSeq + 1);
    if (treeSize !== undefined && seq > treeSize) problems.add(BUNDLE_FILES.leaves, `seq ${seq} is beyond the checkpoint's size ${treeSize}`, seq);
    let entry: Record<string, unknown> | null = null;
    if (redacted) {
      scan.redacted++;
    } else {
      const next = await events.next();
      if (next.done) {
        problems.add(BUNDLE_FILES.events, `has no line for seq ${seq}: fewer records than proof/leaves.txt (dropped record)`, seq);
        break;
      }
      eventLine++;
      entry = checkEntry(next.value, seq, eventLine, tenant, leafHash, problems);
      if (entry) {
        await changes.add(entry);
        if (withOcsf) ocsf.update(ocsfLine(entry));
      }
    }
    csv.update(csvRow(seq, entry, leafHash, layout));
    if (scan.count === scan.indices.length) grow(scan);
    // A line that does not parse as a seq still needs a slot so the proof check sees the mismatch.
    scan.indices[scan.count] = seq > lastSeq && (treeSize === undefined || seq <= treeSize) ? seq - 1 : Number.NaN;
    leafHash.copy(scan.leafHashes, scan.count * 32);
    scan.count++;
    if (scan.count === 1) firstSeq = seq;
    lastSeq = Math.max(lastSeq, seq);
  }
  const extra = await events.next();
  if (!extra.done) problems.add(BUNDLE_FILES.events, `line ${eventLine + 1} has no entry in proof/leaves.txt (inserted record)`);
  await events.return?.(undefined);

  const { counts, range } = manifest;
  if (counts.records !== scan.count || counts.redacted !== scan.redacted || counts.changes !== changes.size) {
    problems.add(BUNDLE_FILES.manifest, `counts ${JSON.stringify(counts)} differ from the bundle's ${scan.count} records, ${scan.redacted} redacted, ${changes.size} changes`);
  }
  if (range.firstSeq !== firstSeq || range.lastSeq !== lastSeq) problems.add(BUNDLE_FILES.manifest, `range ${range.firstSeq}..${range.lastSeq} differs from the records' ${firstSeq}..${lastSeq}`);
  if ((await digest(join(dir, BUNDLE_FILES.csv))).sha256 !== csv.digest('hex')) problems.add(BUNDLE_FILES.csv, 'does not match the records (recomputed from events.jsonl)');
  if (withOcsf && (await digest(join(dir, BUNDLE_FILES.ocsf))).sha256 !== ocsf.digest('hex')) problems.add(BUNDLE_FILES.ocsf, 'does not match the records (recomputed from events.jsonl)');
  await checkChanges(join(dir, BUNDLE_FILES.changes), changes, problems);
  if (scan.indices.subarray(0, scan.count).some((i) => Number.isNaN(i))) {
    // Out-of-order or out-of-range seqs were reported above; keep the proof check from running on them.
    scan.count = 0;
  }
  return scan;
}

function checkEntry(line: string, seq: number, lineNo: number, tenant: string, leafHash: Buffer, problems: Problems): Record<string, unknown> | null {
  const at = `record seq ${seq} (events.jsonl line ${lineNo})`;
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    problems.add(BUNDLE_FILES.events, `${at} is not JSON`, seq);
    return null;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.add(BUNDLE_FILES.events, `${at} is not a JSON object`, seq);
    return null;
  }
  const record = entry as Record<string, unknown>;
  if (!hashLeaf(Buffer.from(line, 'utf8')).equals(leafHash)) {
    problems.add(BUNDLE_FILES.events, `${at}: its leaf hash differs from proof/leaves.txt (edited, or another record)`, seq);
  }
  let canonical: string | undefined;
  try {
    canonical = canonicalize(record);
  } catch {
    canonical = undefined;
  }
  if (canonical !== line) problems.add(BUNDLE_FILES.events, `${at} is not in RFC 8785 canonical form`, seq);
  if (record.seq !== seq) problems.add(BUNDLE_FILES.events, `${at} holds seq ${String(record.seq)}`, seq);
  if (record.tenant !== tenant) problems.add(BUNDLE_FILES.events, `${at} belongs to tenant ${String(record.tenant)}, not ${tenant}`, seq);
  return record;
}

/**
 * changes.json against the changes recomputed from the records, line by line in bounded memory: the
 * layout is fixed (see changes.ts), and each change line must equal the recomputed one once its
 * `summary` (the exporter's verdicts, which need the query service's rules) is set aside.
 */
async function checkChanges(path: string, expected: ChangeSpool, problems: Problems): Promise<void> {
  const bad = (detail: string) => problems.add(BUNDLE_FILES.changes, detail);
  const actual = lines(path);
  const next = async () => {
    const r = await actual.next();
    return r.done ? undefined : r.value;
  };
  try {
    if ((await next()) !== '{"changes":[') return bad('does not start with {"changes":[ on a line of its own');
    let lineNo = 1;
    let previous: string | undefined;
    for await (const want of expected.lines()) {
      const got = await next();
      lineNo++;
      if (previous !== undefined && !previous.endsWith(',')) return bad(`line ${lineNo - 1} is not followed by a comma`);
      if (got === undefined) return bad(`ends before the change on line ${lineNo}: fewer changes than the records hold`);
      const text = got.endsWith(',') ? got.slice(0, -1) : got;
      let change: unknown;
      try {
        change = JSON.parse(text);
      } catch {
        return bad(`line ${lineNo} is not one JSON change`);
      }
      if (typeof change !== 'object' || change === null || Array.isArray(change)) return bad(`line ${lineNo} is not one JSON change`);
      const { summary: _summary, ...base } = change as Record<string, unknown>;
      if (JSON.stringify(base) !== want) return bad(`line ${lineNo} does not match the changes of the exported records`);
      previous = got;
    }
    if (previous === undefined) {
      if ((await next()) !== '') return bad('holds changes the exported records do not touch');
    } else if (previous.endsWith(',')) {
      return bad('holds changes the exported records do not touch');
    }
    if ((await next()) !== ']}' || (await next()) !== undefined) bad('does not end with ]} after the last change');
  } finally {
    await actual.return?.(undefined);
  }
}

async function readProofNodes(path: string): Promise<ProofNode[]> {
  const nodes: ProofNode[] = [];
  let n = 0;
  for await (const line of lines(path)) {
    n++;
    if (line.startsWith('#')) continue;
    const m = NODE_LINE.exec(line);
    if (!m) throw new MultiProofError(`line ${n} is not "<level> <index> <base64 hash>"`);
    const prev = nodes[nodes.length - 1];
    const node = { level: Number(m[1]), index: Number(m[2]), hash: Buffer.from(m[3] as string, 'base64') };
    if (prev && (node.level < prev.level || (node.level === prev.level && node.index <= prev.index))) throw new MultiProofError(`line ${n} is out of order`);
    nodes.push(node);
  }
  return nodes;
}

function grow(scan: RecordScan): void {
  const indices = new Float64Array(scan.indices.length * 2);
  indices.set(scan.indices);
  const hashes = Buffer.alloc(scan.leafHashes.length * 2);
  scan.leafHashes.copy(hashes);
  scan.indices = indices;
  scan.leafHashes = hashes;
}

function verdict(problems: Problems, tenant: string | undefined, records: number, redacted: number, checkpoint: BundleVerdict['checkpoint']): BundleVerdict {
  return { ok: problems.count === 0, tenant, records, redacted, checkpoint, problems: problems.list, problemCount: problems.count };
}

function lines(path: string): AsyncIterableIterator<string> {
  return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })[Symbol.asyncIterator]();
}

async function digest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function readLimited(path: string, max: number): Promise<string | undefined> {
  return (await stat(path)).size > max ? undefined : readFile(path, 'utf8');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** Unpacks the tar.gz into `dir`; undefined (with the problem recorded) when the archive is unusable. */
async function extract(path: string, dir: string, maxFileBytes: number, problems: Problems): Promise<string[] | undefined> {
  try {
    return await unpackBundle(path, dir, { maxFileBytes });
  } catch (error) {
    problems.add(path, `not a readable bundle: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Unpacks a bundle (.tar.gz) into `dir`, refusing anything a bundle may not contain (other names,
 * links, duplicates, path tricks, oversized files). Returns the file names.
 */
export async function unpackBundle(path: string, dir: string, options: { maxFileBytes?: number } = {}): Promise<string[]> {
  const names: string[] = [];
  await readTar(
    createReadStream(path).pipe(createGunzip()),
    {
      open(name) {
        if (names.includes(name)) throw new TarError(`${name} appears twice in the archive`);
        if (!Object.values(BUNDLE_FILES).includes(name as never) && !PEM_FILE.test(name)) throw new TarError(`${name} is not a file a bundle may contain`);
        names.push(name);
        const target = join(dir, name);
        let out: WriteStream | undefined;
        const ready = mkdir(dirname(target), { recursive: true }).then(() => {
          out = createWriteStream(target);
        });
        return {
          async write(chunk) {
            await ready;
            const stream = out as WriteStream;
            if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
          },
          async close() {
            await ready;
            await new Promise<void>((resolve, reject) => (out as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
          },
        };
      },
    },
    { maxFileBytes: options.maxFileBytes ?? 16 * 1024 ** 3 },
  );
  return names;
}

/** Packs a bundle directory back into a .tar.gz (manifest first): for tools and tests that edit bundles. */
export async function packBundle(dir: string, outPath: string, mtime = 0): Promise<void> {
  const names = (await listFiles(dir)).sort((a, b) => (a === BUNDLE_FILES.manifest ? -1 : b === BUNDLE_FILES.manifest ? 1 : a.localeCompare(b)));
  const entries = await Promise.all(names.map(async (name) => ({ name, path: join(dir, name), size: (await stat(join(dir, name))).size })));
  await pipeline(Readable.from(tarStream(entries, mtime)), createGzip(), createWriteStream(outPath));
}
