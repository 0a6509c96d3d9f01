import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeSpool, changesJson, writeChangesJson, type ChangeEntry } from './changes';

/** The plain in-memory computation the spool must reproduce byte for byte. */
function naive(entries: Record<string, unknown>[], summaries?: Map<string, Record<string, unknown>>): string {
  const byChange = new Map<string, ChangeEntry>();
  for (const e of entries) {
    if (typeof e.changeId !== 'string') continue;
    const ref = { seq: e.seq as number, type: String(e.type), occurredAt: String(e.occurredAt), actor: String((e.actor as { id: string }).id), outcome: typeof e.outcome === 'string' ? e.outcome : null };
    const c = byChange.get(e.changeId) ?? { changeId: e.changeId, firstSeq: ref.seq, lastSeq: ref.seq, eventCount: 0, events: [] };
    c.lastSeq = ref.seq;
    c.eventCount++;
    c.events.push(ref);
    byChange.set(e.changeId, c);
  }
  const list = [...byChange.values()].sort((a, b) => a.firstSeq - b.firstSeq).map((c) => (summaries?.get(c.changeId) ? { ...c, summary: summaries.get(c.changeId) } : c));
  return changesJson(list);
}

async function spooled(dir: string, entries: Record<string, unknown>[], runSize: number, summaries?: Map<string, Record<string, unknown>>) {
  const spool = new ChangeSpool(dir, runSize);
  for (const e of entries) await spool.add(e);
  let text = '';
  await writeChangesJson(spool, async (t) => void (text += t), summaries);
  const runs = (await readdir(dir)).length;
  await spool.dispose();
  return { text, runs, size: spool.size };
}

describe('ChangeSpool', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'spool-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // Interleaved changes of different lengths, some records without a change, odd characters in ids.
  const entries = Array.from({ length: 500 }, (_, i) => {
    const seq = i + 1;
    const change = seq % 7 === 0 ? undefined : `CHG-${(seq * 13) % 41}${seq % 5 === 0 ? '"\t\\ü' : ''}`;
    return { seq, type: seq % 3 ? 'deployment.started' : 'plan.created', occurredAt: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}Z`, actor: { id: `user-${seq % 4}` }, ...(seq % 2 ? { outcome: 'succeeded' } : {}), ...(change ? { changeId: change } : {}) };
  });

  it.each([1, 7, 64, 100_000])('writes the same bytes as the in-memory computation, spilling runs of %i', async (runSize) => {
    const { text, runs, size } = await spooled(dir, entries, runSize);
    expect(text).toBe(naive(entries));
    expect(size).toBe(new Set(entries.map((e) => e.changeId).filter(Boolean)).size);
    expect(runs).toBe(Math.ceil(entries.filter((e) => e.changeId).length / runSize)); // bounded memory: the refs went to disk
  });

  it('places each summary after the events of its change', async () => {
    const summaries = new Map([['CHG-13', { status: 'succeeded', verdicts: { approvedForPlanThatRan: 'yes' } }]]);
    expect((await spooled(dir, entries, 50, summaries)).text).toBe(naive(entries, summaries));
  });

  it('writes an empty list when no record belongs to a change', async () => {
    expect((await spooled(dir, [{ seq: 1, type: 'k8s.request', occurredAt: 'x', actor: { id: 'a' } }], 10)).text).toBe('{"changes":[\n\n]}\n');
  });
});
