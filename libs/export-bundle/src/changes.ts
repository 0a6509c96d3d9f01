import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * changes.json: the changes the exported records touch, each with its events in ledger order. The base
 * fields come from the records alone, so the offline verifier recomputes them and compares; `summary`
 * (status and verdicts) is added by an exporter that has the query service's verdict rules.
 *
 * File layout (stable, so the verifier can compare line by line): `{"changes":[`, then one change per
 * line as `JSON.stringify` writes it with keys changeId, firstSeq, lastSeq, eventCount, events[, summary],
 * lines separated by `,`, then `]}`; changes ordered by first seq.
 */
export interface ChangeEventRef {
  seq: number;
  type: string;
  occurredAt: string;
  actor: string;
  outcome: string | null;
}

export interface ChangeEntry {
  changeId: string;
  firstSeq: number;
  lastSeq: number;
  eventCount: number;
  events: ChangeEventRef[];
  summary?: Record<string, unknown>;
}

const KEY_DIGITS = 16;
const key = (n: number) => String(n).padStart(KEY_DIGITS, '0');

/**
 * Collects change references while records stream past, in bounded memory: each reference goes to a
 * sorted run file on disk (at most `runSize` held at once); only a small entry per change is kept
 * (first and last seq, count). At the end the runs are merged by (first seq of the change, seq), which is
 * changes.json's order, and each change is written as soon as its references are together.
 */
export class ChangeSpool {
  private readonly meta = new Map<string, { firstSeq: number; lastSeq: number; count: number }>();
  private pending: string[] = [];
  private readonly runs: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly runSize = 100_000,
  ) {}

  get size(): number {
    return this.meta.size;
  }

  /** The change ids, in no particular order (for looking up summaries). */
  changeIds(): string[] {
    return [...this.meta.keys()];
  }

  async add(entry: Record<string, unknown>): Promise<void> {
    const changeId = entry.changeId;
    if (typeof changeId !== 'string') return;
    const seq = Number(entry.seq);
    let change = this.meta.get(changeId);
    if (!change) {
      change = { firstSeq: seq, lastSeq: seq, count: 0 };
      this.meta.set(changeId, change);
    }
    change.lastSeq = seq;
    change.count++;
    this.pending.push(`${key(change.firstSeq)}${key(seq)}\t${JSON.stringify(changeId)}\t${JSON.stringify(changeRef(entry))}`);
    if (this.pending.length >= this.runSize) await this.spill();
  }

  /** Each change's line of changes.json (without the separating comma), in file order. */
  async *lines(summaries?: ReadonlyMap<string, Record<string, unknown>>): AsyncGenerator<string> {
    await this.spill();
    const sources = await Promise.all(this.runs.map(async (path) => openRun(path)));
    try {
      let current: { firstSeq: string; changeId: string; refs: string[] } | undefined;
      const emit = (c: NonNullable<typeof current>): string => {
        const changeId = JSON.parse(c.changeId) as string;
        const m = this.meta.get(changeId);
        const summary = summaries?.get(changeId);
        return `{"changeId":${c.changeId},"firstSeq":${m?.firstSeq ?? 0},"lastSeq":${m?.lastSeq ?? 0},"eventCount":${m?.count ?? 0},"events":[${c.refs.join(',')}]${summary ? `,"summary":${JSON.stringify(summary)}` : ''}}`;
      };
      for (;;) {
        let best = -1;
        for (let i = 0; i < sources.length; i++) {
          const head = sources[i]!.head;
          if (head !== undefined && (best < 0 || head < sources[best]!.head!)) best = i;
        }
        if (best < 0) break;
        const line = sources[best]!.head!;
        await sources[best]!.advance();
        const [k, changeId, ref] = line.split('\t') as [string, string, string];
        const firstSeq = k.slice(0, KEY_DIGITS);
        if (current && current.firstSeq !== firstSeq) {
          yield emit(current);
          current = undefined;
        }
        current ??= { firstSeq, changeId, refs: [] };
        current.refs.push(ref);
      }
      if (current) yield emit(current);
    } finally {
      for (const s of sources) s.close();
    }
  }

  /** Removes the run files. */
  async dispose(): Promise<void> {
    await Promise.all(this.runs.map((p) => rm(p, { force: true })));
  }

  private async spill(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending.sort();
    this.pending = [];
    const path = join(this.dir, `.changes-run-${this.runs.length}`);
    this.runs.push(path);
    const out = createWriteStream(path);
    for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
  }
}

interface RunSource {
  head: string | undefined;
  advance(): Promise<void>;
  close(): void;
}

async function openRun(path: string): Promise<RunSource> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  const source: RunSource = {
    head: undefined,
    async advance() {
      const next = await it.next();
      source.head = next.done ? undefined : next.value;
    },
    close: () => rl.close(),
  };
  await source.advance();
  return source;
}

function changeRef(entry: Record<string, unknown>): ChangeEventRef {
  const actor = entry.actor as { id?: unknown } | undefined;
  return {
    seq: Number(entry.seq),
    type: String(entry.type),
    occurredAt: String(entry.occurredAt),
    actor: String(actor?.id ?? ''),
    outcome: typeof entry.outcome === 'string' ? entry.outcome : null,
  };
}

/** Writes changes.json from the spool to a sink, one change per line. */
export async function writeChangesJson(spool: ChangeSpool, write: (text: string) => Promise<void>, summaries?: ReadonlyMap<string, Record<string, unknown>>): Promise<void> {
  await write('{"changes":[\n');
  let first = true;
  for await (const line of spool.lines(summaries)) {
    await write(first ? line : `,\n${line}`);
    first = false;
  }
  await write('\n]}\n');
}

/** The whole file text for a list of changes (small lists; the same bytes writeChangesJson writes). */
export function changesJson(changes: readonly ChangeEntry[]): string {
  return `{"changes":[\n${changes.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`;
}
