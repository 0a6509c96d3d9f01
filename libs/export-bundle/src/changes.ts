/**
 * changes.json: the changes the exported records touch, each with its events in ledger order. The base
 * fields come from the records alone, so the offline verifier recomputes them and compares; `summary`
 * (status and verdicts) is added by an exporter that has the query service's verdict rules.
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

/** The records of one change as the summarizer sees them (entries exactly as hashed). */
export type ChangeSummarizer = (changeId: string, entries: readonly Record<string, unknown>[]) => Record<string, unknown>;

/**
 * Collects change references while records stream past. Holds only the small reference of each
 * change event, plus the entries of change events when a summarizer needs them.
 */
export class ChangeCollector {
  private readonly changes = new Map<string, { refs: ChangeEventRef[]; entries: Record<string, unknown>[] }>();

  constructor(private readonly summarize?: ChangeSummarizer) {}

  add(entry: Record<string, unknown>): void {
    const changeId = entry.changeId;
    if (typeof changeId !== 'string') return;
    let change = this.changes.get(changeId);
    if (!change) {
      change = { refs: [], entries: [] };
      this.changes.set(changeId, change);
    }
    change.refs.push(changeRef(entry));
    if (this.summarize) change.entries.push(entry);
  }

  get size(): number {
    return this.changes.size;
  }

  /** Changes ordered by first seq. */
  result(): ChangeEntry[] {
    const out: ChangeEntry[] = [];
    for (const [changeId, { refs, entries }] of this.changes) {
      const base: ChangeEntry = {
        changeId,
        firstSeq: refs[0]?.seq ?? 0,
        lastSeq: refs[refs.length - 1]?.seq ?? 0,
        eventCount: refs.length,
        events: refs,
      };
      out.push(this.summarize ? { ...base, summary: this.summarize(changeId, entries) } : base);
    }
    return out.sort((a, b) => a.firstSeq - b.firstSeq);
  }
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

/** The file text: stable key order, one change per line inside the array, so diffs stay readable. */
export function changesJson(changes: readonly ChangeEntry[]): string {
  return `{"changes":[\n${changes.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`;
}
