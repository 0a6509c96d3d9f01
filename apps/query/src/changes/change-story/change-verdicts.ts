import type { AcceptedEvent } from '@audit/contracts';
import { decide, foldChange, statusOf, type ChangeStatus, type StoryVerdicts } from '@audit/change-lifecycle';

/** One event of a change as the ledger committed it. */
export interface StoryEvent {
  seq: number;
  recordedAt: string;
  hash: string;
  event: AcceptedEvent;
}

export type { ChangeStatus };
export type Verdicts = StoryVerdicts;

export interface ChangeSummary {
  changeId: string;
  status: ChangeStatus;
  environment: string | null;
  resourceKind: string | null;
  resourceId: string | null;
  requester: string | null;
  requestedAt: string | null;
  updatedAt: string;
  firstSeq: number;
  lastSeq: number;
  eventCount: number;
  verdicts: Verdicts;
}

/**
 * Summary and verdicts of one change, from its events in ledger order. The folding and judging are
 * `@audit/change-lifecycle`'s, the same code the gate answers with, so the story cannot disagree with it;
 * this only shapes the answer. Pure: the same events always give the same summary, which is what lets the
 * projector store it.
 */
export function summarizeChange(changeId: string, unordered: readonly StoryEvent[]): ChangeSummary {
  if (unordered.length === 0) throw new Error('a change has at least one event');
  const events = [...unordered].sort((a, b) => a.seq - b.seq);
  const state = foldChange(events.map((e) => ({ seq: e.seq, event: e.event })));
  const anchor = state.requested?.resource ?? events[0]!.event.resource;
  return {
    changeId,
    status: statusOf(state),
    environment: anchor.environment,
    resourceKind: anchor.kind,
    resourceId: anchor.id,
    requester: state.requested?.requester.id ?? null,
    requestedAt: state.requested?.occurredAt ?? null,
    updatedAt: events[events.length - 1]!.event.occurredAt,
    firstSeq: events[0]!.seq,
    lastSeq: events[events.length - 1]!.seq,
    eventCount: events.length,
    verdicts: decide(state, { kind: 'story' }),
  };
}
