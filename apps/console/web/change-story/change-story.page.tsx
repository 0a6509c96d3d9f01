import { useEffect, useRef, useState } from 'react';
import { assertedBy, EventDrawer } from '../proof/event-drawer';
import { ExportChange } from './export-change';
import { apiGet, describeError } from '../common/api';
import type { Session } from '../common/session';

type StoryEvent = Record<string, unknown> & { seq: number; type: string; occurredAt: string; recordedAt: string };

interface Verdicts {
  approvedForPlanThatRan: { verdict: string; ranPlanDigest: string | null; approvedPlanDigests: string[]; reason: string };
  artifactMatch: { verdict: string; deployedArtifactDigest: string | null; approvedArtifactDigest: string | null; approvedArtifactFromSeq: number | null; reason: string };
  separationOfDuties: { verdict: string; requester: string | null; commitAuthors: string[]; violations: { seq: number; approver: string; reason: string }[] };
  policy: { policyId: string | null; version: string | null; fromSeq: number | null };
  outcome: { value: string; fromSeq: number | null; rolledBack?: { runSeq: number; outcome: string | null } | null };
  /** Every approval claim, counted or not (issue 15: only trusted sources count). */
  approvals?: { seq: number; approver: string; assertedBy: string; counted: boolean; reason: string }[];
}

interface Story {
  changeId: string;
  status: string;
  environment: string | null;
  resourceKind: string | null;
  resourceId: string | null;
  requester: string | null;
  requestedAt: string | null;
  eventCount: number;
  verdicts: Verdicts;
  events: StoryEvent[];
}

/** Lifecycle phases in the order a change goes through them; an event's type places it in one. */
const PHASES: { name: string; match: (t: string) => boolean }[] = [
  { name: 'Request', match: (t) => t === 'change.requested' },
  { name: 'Plans', match: (t) => t === 'plan.created' },
  { name: 'Approvals', match: (t) => t.startsWith('approval.') || t.startsWith('review.') || t.startsWith('breakglass.') },
  { name: 'Policy and gate', match: (t) => t === 'policy.evaluated' || t === 'gate.decided' },
  { name: 'Deployment', match: (t) => t.startsWith('deployment.') || t === 'workflow.completed' },
  { name: 'Outcome', match: (t) => t === 'change.cancelled' },
];
const phaseOf = (t: string) => PHASES.find((p) => p.match(t))?.name ?? 'Other';

const BAD = new Set(['no', 'violated', 'failed', 'partially_failed', 'cancelled', 'rejected', 'denied']);
const GOOD = new Set(['yes', 'held', 'succeeded', 'allowed']);
const tone = (v: string | null | undefined) => (v && BAD.has(v) ? 'bad' : v && GOOD.has(v) ? 'good' : 'neutral');
const obj = (e: Record<string, unknown>, k: string) => (e[k] && typeof e[k] === 'object' ? (e[k] as Record<string, unknown>) : {});
const short = (d: unknown) => (typeof d === 'string' ? d.replace(/^sha256:(.{12}).*$/, 'sha256:$1…') : '');

function Badge({ label, value, detail, testId }: { label: string; value: string; detail: string; testId: string }) {
  return (
    <div className={`badge ${tone(value)}`} data-testid={testId} data-verdict={value}>
      <span className="badge-label">{label}</span>
      <span className="badge-value">{value.replace(/_/g, ' ')}</span>
      <span className="badge-detail">{detail}</span>
    </div>
  );
}

/** `GET /v1/changes/:id`: the change's events in ledger order as a timeline, with the query service's verdicts. */
export function ChangeStoryPage({ session, changeId }: { session: Session; changeId: string }) {
  const [story, setStory] = useState<Story | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<StoryEvent | null>(null);
  const trigger = useRef<HTMLElement | null>(null);

  useEffect(() => {
    setStory(null);
    setError(null);
    apiGet<Story>('query', `/v1/changes/${encodeURIComponent(changeId)}`, session.token)
      .then(setStory)
      .catch((err: unknown) => setError(describeError(err)));
  }, [changeId, session.token]);

  const v = story?.verdicts;
  return (
    <section aria-labelledby="story-title">
      <p>
        <a href="#/changes">← All changes</a>
      </p>
      <h1 id="story-title" tabIndex={-1}>
        Change {changeId}
      </h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {story && v && (
        <>
          <p className="summary">
            <strong>{story.status.replace(/_/g, ' ')}</strong> · {story.resourceKind}/{story.resourceId} in <strong>{story.environment}</strong> · requested by {story.requester ?? 'unknown'}
            {story.requestedAt ? ` at ${story.requestedAt}` : ''} · {story.eventCount} events
          </p>
          <ExportChange session={session} changeId={changeId} />
          <div className="badges" aria-label="Verdicts" role="group">
            <Badge testId="verdict-approved" label="Approved for this plan" value={v.approvedForPlanThatRan.verdict} detail={v.approvedForPlanThatRan.reason} />
            <Badge
              testId="verdict-artifact"
              label="Artifact match"
              value={v.artifactMatch.verdict}
              detail={`${v.artifactMatch.reason}${v.artifactMatch.deployedArtifactDigest ? ` · deployed ${short(v.artifactMatch.deployedArtifactDigest)}` : ''}${v.artifactMatch.approvedArtifactDigest ? ` · approved ${short(v.artifactMatch.approvedArtifactDigest)}` : ''}`}
            />
            <Badge
              testId="verdict-sod"
              label="Separation of duties"
              value={v.separationOfDuties.verdict}
              detail={v.separationOfDuties.violations.length ? v.separationOfDuties.violations.map((x) => `seq ${x.seq}: ${x.approver} ${x.reason}`).join('; ') : `requester ${v.separationOfDuties.requester ?? '—'}`}
            />
            <Badge testId="verdict-policy" label="Policy" value={v.policy.policyId ? `${v.policy.policyId} v${v.policy.version ?? '?'}` : 'none recorded'} detail={v.policy.fromSeq ? `from seq ${v.policy.fromSeq}` : 'no gate decision or evaluation'} />
            <Badge
              testId="verdict-outcome"
              label="Outcome"
              value={v.outcome.value}
              detail={`${v.outcome.fromSeq ? `from seq ${v.outcome.fromSeq}` : ''}${v.outcome.rolledBack ? ` · rolled back at seq ${v.outcome.rolledBack.runSeq} (${v.outcome.rolledBack.outcome ?? 'running'})` : ''}`}
            />
          </div>
          <ol className="timeline" aria-label="Timeline in ledger order">
            {story.events.map((e, i) => {
              const phase = phaseOf(e.type);
              const showPhase = i === 0 || phaseOf(story.events[i - 1]!.type) !== phase;
              const actor = obj(e, 'actor');
              const outcome = typeof e.outcome === 'string' ? e.outcome : e.type.split('.')[1];
              const mismatch = v.artifactMatch.verdict === 'no' && e.type.startsWith('deployment.') && obj(e, 'artifact').digest === v.artifactMatch.deployedArtifactDigest;
              return (
                <li key={e.seq} className={`step ${tone(outcome)}`} data-type={e.type}>
                  {showPhase && <h2 className="phase">{phase}</h2>}
                  <div className="step-body">
                    <span className="seq">#{e.seq}</span> <strong>{e.type}</strong> {typeof e.outcome === 'string' && <span className={`pill ${tone(e.outcome)}`}>{e.outcome}</span>}
                    <div>
                      {String(actor.id ?? '')} ({String(actor.type ?? '')}
                      {Array.isArray(actor.roles) && actor.roles.length ? ` · roles ${actor.roles.join(', ')}` : ''}
                      {Array.isArray(actor.teams) && actor.teams.length ? ` · teams ${actor.teams.join(', ')}` : ''}) · {e.occurredAt}
                    </div>
                    {obj(e, 'plan').digest !== undefined && <div>plan {short(obj(e, 'plan').digest)}</div>}
                    {obj(e, 'artifact').digest !== undefined && (
                      <div className={mismatch ? 'mismatch' : undefined}>
                        artifact {short(obj(e, 'artifact').digest)}
                        {mismatch && <strong> — does not match the approved artifact</strong>}
                      </div>
                    )}
                    <div className="asserted" data-testid="asserted-by">
                      asserted by {assertedBy(e.provenance)}
                    </div>
                    {typeof e.reason === 'string' && <div className="reason">“{e.reason}”</div>}
                    {v.approvals
                      ?.filter((a) => a.seq === e.seq)
                      .map((a) => (
                        <div key={a.seq} data-testid="approval-claim" data-counted={String(a.counted)} className={a.counted ? undefined : 'mismatch'}>
                          {a.counted ? `counted (asserted by ${a.assertedBy})` : a.reason}
                        </div>
                      ))}
                    <button
                      type="button"
                      className="link"
                      onClick={(ev) => {
                        trigger.current = ev.currentTarget;
                        setOpen(e);
                      }}
                    >
                      Event and proof
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {open && (
        <EventDrawer
          session={session}
          event={open}
          onClose={() => {
            setOpen(null);
            trigger.current?.focus();
          }}
        />
      )}
    </section>
  );
}
