import type { CommittedRecord } from '@audit/contracts';
import type { SiemSinkConfig } from './siem.config';

/** A Splunk HEC event object (`POST /services/collector/event` takes several, separated by newlines). */
export interface HecEvent {
  /** Epoch seconds (milliseconds as the fraction): when the change happened (`event.occurredAt`). */
  time: number;
  host?: string;
  source: string;
  sourcetype: string;
  index?: string;
  /** Indexed fields for dedupe and search: the ledger position of the record. */
  fields: { tenant: string; seq: number; hash: string; eventId: string };
  /** The committed record exactly as it is on `audit.committed.v1` (so its hashes can be re-verified). */
  event: CommittedRecord;
}

type Meta = Pick<SiemSinkConfig, 'format' | 'source' | 'sourcetype' | 'index' | 'host'>;

export function toHecEvent(record: CommittedRecord, meta: Omit<Meta, 'format'>): HecEvent {
  return {
    time: Date.parse(record.event.occurredAt) / 1000,
    ...(meta.host !== undefined ? { host: meta.host } : {}),
    source: meta.source,
    sourcetype: meta.sourcetype,
    ...(meta.index !== undefined ? { index: meta.index } : {}),
    fields: { tenant: record.event.tenant, seq: record.seq, hash: record.hash, eventId: record.event.id },
    event: record,
  };
}

/** One line of a request body (no newline): a HEC event, or for `ndjson` the committed record itself. */
export function formatLine(record: CommittedRecord, meta: Meta): string {
  return JSON.stringify(meta.format === 'splunk-hec' ? toHecEvent(record, meta) : record);
}

export interface SinkBatch {
  records: CommittedRecord[];
  /** Newline-separated lines, ending in a newline. */
  body: string;
  bytes: number;
}

/**
 * Cuts records (in order) into request bodies of at most `maxEvents` lines and `maxBytes` bytes (UTF-8,
 * before compression). A single line larger than `maxBytes` makes a batch of its own: never dropped.
 */
export function toBatches(records: readonly CommittedRecord[], meta: Meta, limits: { maxEvents: number; maxBytes: number }): SinkBatch[] {
  const batches: SinkBatch[] = [];
  let current: { records: CommittedRecord[]; lines: string[]; bytes: number } = { records: [], lines: [], bytes: 0 };
  const flush = () => {
    if (current.records.length === 0) return;
    batches.push({ records: current.records, body: current.lines.map((l) => `${l}\n`).join(''), bytes: current.bytes });
    current = { records: [], lines: [], bytes: 0 };
  };
  for (const record of records) {
    const line = formatLine(record, meta);
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (current.records.length >= limits.maxEvents || (current.records.length > 0 && current.bytes + size > limits.maxBytes)) flush();
    current.records.push(record);
    current.lines.push(line);
    current.bytes += size;
  }
  flush();
  return batches;
}

/**
 * The records a sink still owes, in order: those of its tenants above the delivered position, each
 * (tenant, seq) once even when the ledger published it twice.
 */
export function undelivered(records: readonly CommittedRecord[], delivered: ReadonlyMap<string, number>, tenants?: readonly string[]): CommittedRecord[] {
  const position = new Map(delivered);
  const owed: CommittedRecord[] = [];
  for (const record of records) {
    const tenant = record.event.tenant;
    if (tenants && !tenants.includes(tenant)) continue;
    if (record.seq <= (position.get(tenant) ?? 0)) continue;
    position.set(tenant, record.seq);
    owed.push(record);
  }
  return owed;
}

/** Highest seq per tenant in the batch: the position to store once the receiver acknowledged it. */
export function positionsOf(records: readonly CommittedRecord[]): Map<string, number> {
  const positions = new Map<string, number>();
  for (const r of records) positions.set(r.event.tenant, Math.max(positions.get(r.event.tenant) ?? 0, r.seq));
  return positions;
}
