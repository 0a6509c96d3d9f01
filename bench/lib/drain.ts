import { performance } from 'node:perf_hooks';
import { sleep } from './stack';
import type { Tracker } from './tracker';

/**
 * Waits until every accepted event of `phase` is in the ledger and visible in OpenSearch (or the timeout):
 * the point where the pipeline has caught up with what it was given.
 */
export async function drain(tracker: Tracker, phase: string, timeoutMs: number): Promise<{ drained: boolean; pendingCommitted: number; pendingSearchable: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await tracker.mapLedger();
    let pendingCommitted = 0;
    const needSeq = tracker.tenants.map(() => 0);
    for (let n = 0; n < tracker.scheduledAt.length; n++) {
      if (tracker.phaseOf[n] !== phase || !tracker.accepted[n]) continue;
      const seq = tracker.seqOf.get(n);
      if (seq === undefined) pendingCommitted++;
      else needSeq[tracker.tenantOf[n]!] = Math.max(needSeq[tracker.tenantOf[n]!]!, seq);
    }
    const pendingSearchable = needSeq.filter((s, t) => tracker.searchableMax(t) < s || tracker.committedMax(t) < s).length;
    if (pendingCommitted === 0 && pendingSearchable === 0) return { drained: true, pendingCommitted, pendingSearchable };
    if (performance.now() > deadline) return { drained: false, pendingCommitted, pendingSearchable };
    await sleep(250);
  }
}
