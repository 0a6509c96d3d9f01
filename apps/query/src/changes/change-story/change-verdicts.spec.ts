import type { AcceptedEvent, AuditEventInput } from '@audit/contracts';
import { summarizeChange, type StoryEvent } from './change-verdicts';

const P1 = `sha256:${'1'.repeat(64)}`;
const P2 = `sha256:${'2'.repeat(64)}`;
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const SHA = 'c'.repeat(40);

const user = (id: string, roles: string[] = [], teams: string[] = []) => ({ id, type: 'user' as const, roles, teams });

function story(...parts: (Partial<AuditEventInput> & Pick<Partial<AcceptedEvent>, 'provenance'>)[]): StoryEvent[] {
  return parts.map((p, i) => ({
    seq: 10 + i,
    recordedAt: `2026-03-01T10:00:${String(i).padStart(2, '0')}Z`,
    hash: 'f'.repeat(64),
    event: {
      version: 1,
      tenant: 'acme',
      id: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      receivedAt: '2026-03-01T10:00:00Z',
      occurredAt: `2026-03-01T09:00:${String(i).padStart(2, '0')}Z`,
      actor: user('pipeline-1'),
      resource: { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' },
      changeId: 'CHG-1',
      ...p,
    } as AcceptedEvent,
  }));
}

const requested = { type: 'change.requested', actor: user('alice', ['developer']), commit: { repo: 'acme/infra', sha: SHA, author: 'carol' } } as const;
const planned = { type: 'plan.created', plan: { digest: P1 } } as const;
/**
 * Issue 15: an approval counts only from a trusted source, so the story's approvals carry the provenance the
 * approvals API stamps (verified token, groups from the token); a bare approval.granted is not counted.
 */
const approvedBy = (id: string, digest = P1) => ({
  type: 'approval.granted' as const,
  actor: user(id, ['approver'], ['sre']),
  plan: { digest },
  provenance: { kind: 'user_token' as const, id: `idp|${id}`, auth: 'jwt', scopes: [], subject: id, roles: ['approver'], groups: ['sre'], via: 'approvals-api' },
});
/**
 * Issue 15: the story judges the run by the rule the gate recorded (`details.policy`) for the plan that ran,
 * and only from our gate service (provenance service approval-policy); here: one approval from sre.
 */
const RULE = { id: 'prod-db', version: 7, digest: null, rule: 'prod-one-sre', require: { approvals: [{ group: 'sre', count: 1 }], breakGlass: false, acceptGithubReviews: false }, breakGlassReviewWithin: 'PT24H', frozen: [] };
const gate = (outcome: 'allowed' | 'denied', artifact = A, digest = P1) => ({
  type: 'gate.decided' as const,
  outcome,
  plan: { digest },
  artifact: { digest: artifact, kind: 'container-image' },
  details: { policyId: 'prod-db', policyVersion: 7, policy: RULE },
  provenance: { kind: 'service' as const, id: 'approval-policy', auth: 'service-credential', scopes: [] },
});
const started = (artifact = A, plan?: string) => ({ type: 'deployment.started' as const, artifact: { digest: artifact, kind: 'container-image' }, ...(plan ? { plan: { digest: plan } } : {}) });
const succeeded = (artifact = A) => ({ type: 'deployment.succeeded' as const, outcome: 'succeeded' as const, artifact: { digest: artifact, kind: 'container-image' } });

describe('summarizeChange', () => {
  it('gives all-green verdicts for a clean change', () => {
    const s = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), gate('allowed'), started(), succeeded()));
    expect(s).toMatchObject({ status: 'succeeded', requester: 'alice', environment: 'prod', resourceId: 'payments-db', firstSeq: 10, lastSeq: 15, eventCount: 6 });
    expect(s.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'yes', ranPlanDigest: P1, validApprovalSeqs: [12] });
    expect(s.verdicts.artifactMatch).toMatchObject({ verdict: 'yes', deployedArtifactDigest: A, approvedArtifactDigest: A, approvedArtifactFromSeq: 13 });
    expect(s.verdicts.separationOfDuties).toEqual({ verdict: 'held', requester: 'alice', commitAuthors: ['carol'], violations: [] });
    expect(s.verdicts.policy).toMatchObject({ policyId: 'prod-db', version: '7', rule: 'prod-one-sre', fromSeq: 13 });
    expect(s.verdicts.outcome).toEqual({ value: 'succeeded', fromSeq: 15, rolledBack: null });
  });

  it('flags a deployed artifact that is not the approved one', () => {
    const s = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), gate('allowed', A), started(B), succeeded(B)));
    expect(s.verdicts.artifactMatch).toMatchObject({ verdict: 'no', deployedArtifactDigest: B, approvedArtifactDigest: A });
    expect(s.verdicts.artifactMatch.reason).toMatch(/but .* was approved at seq 13/);
  });

  it('flags a run whose reported artifact differs from the one it started with', () => {
    const s = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), gate('allowed', A), started(A), succeeded(B)));
    expect(s.verdicts.artifactMatch).toMatchObject({ verdict: 'no', deployedArtifactDigest: B });
  });

  it('binds the artifact recorded on the plan first, and says unknown when none is recorded', () => {
    const withPlanArtifact = summarizeChange('CHG-1', story(requested, { ...planned, artifact: { digest: A, kind: 'container-image' } }, approvedBy('bob'), started(A)));
    expect(withPlanArtifact.verdicts.artifactMatch).toMatchObject({ verdict: 'yes', approvedArtifactFromSeq: 11 });
    expect(summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), started(A))).verdicts.artifactMatch.verdict).toBe('unknown');
  });

  it('says no when the approvals were for an older plan digest than the one that ran', () => {
    const s = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), { type: 'plan.created', plan: { digest: P2 } }, gate('denied', A, P2), started(A)));
    expect(s.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'no', ranPlanDigest: P2, approvedPlanDigests: [P1] });
    expect(s.verdicts.approvedForPlanThatRan.reason).toContain(P2);
    expect(summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), started(A, P2))).verdicts.approvedForPlanThatRan.ranPlanDigest).toBe(P2);
  });

  it('does not count approvals by the requester or a commit author, and reports them as violations', () => {
    const s = summarizeChange('CHG-1', story(requested, planned, approvedBy('alice'), approvedBy('carol'), gate('denied'), started(A)));
    expect(s.verdicts.separationOfDuties.verdict).toBe('violated');
    expect(s.verdicts.separationOfDuties.violations).toEqual([
      { seq: 12, approver: 'alice', reason: 'approver is the requester' },
      { seq: 13, approver: 'carol', reason: 'approver is a commit author' },
    ]);
    expect(s.verdicts.approvedForPlanThatRan.verdict).toBe('no');
  });

  it('does not count a revoked approval or a rejected plan', () => {
    const revoked = story(requested, planned, approvedBy('bob'), { type: 'approval.revoked', actor: user('bob'), reason: 'oops' }, gate('denied'), started(A));
    expect(summarizeChange('CHG-1', revoked).verdicts.approvedForPlanThatRan.verdict).toBe('no');
    const rejected = story(requested, planned, approvedBy('bob'), { type: 'approval.rejected', actor: user('dave'), plan: { digest: P1 }, reason: 'no' }, gate('denied'), started(A));
    expect(summarizeChange('CHG-1', rejected).verdicts.approvedForPlanThatRan.reason).toMatch(/rejected by dave/);
  });

  it('judges the run by the facts when it started, not by what an earlier gate call answered (issue 15)', () => {
    // Previously a recorded "denied" settled the verdict, so a gate call about another plan rewrote it; now the
    // run is judged as the gate would have answered when it started, under the rule the gate recorded.
    const approvedLater = summarizeChange('CHG-1', story(requested, planned, gate('denied'), approvedBy('bob'), started(A)));
    expect(approvedLater.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'yes', gateSeq: 12 });
    const otherPlanDenied = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), gate('allowed'), gate('denied', A, P2), started(A, P1)));
    expect(otherPlanDenied.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'yes', gateSeq: 13 });
    const ungated = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), started(A)));
    expect(ungated.verdicts.approvedForPlanThatRan).toMatchObject({ verdict: 'no', reason: expect.stringMatching(/gate was never asked/) });
  });

  it('follows the lifecycle status and outcome before and without a run', () => {
    expect(summarizeChange('CHG-1', story(requested)).status).toBe('requested');
    const pending = summarizeChange('CHG-1', story(requested, planned));
    expect(pending).toMatchObject({ status: 'planned', verdicts: { outcome: { value: 'pending' }, approvedForPlanThatRan: { verdict: 'not_run' }, separationOfDuties: { verdict: 'no_approvals' } } });
    const rejected = summarizeChange('CHG-1', story(requested, planned, { type: 'approval.rejected', actor: user('dave'), plan: { digest: P1 }, reason: 'no' }));
    expect(rejected).toMatchObject({ status: 'rejected', verdicts: { outcome: { value: 'rejected', fromSeq: 12 } } });
    const failed = summarizeChange('CHG-1', story(requested, planned, approvedBy('bob'), started(A), { type: 'deployment.failed', outcome: 'failed' }));
    expect(failed).toMatchObject({ status: 'failed', verdicts: { outcome: { value: 'failed', fromSeq: 14 } } });
    const untrusted = summarizeChange('CHG-1', story(requested, planned, { ...approvedBy('bob'), provenance: { kind: 'api_key', id: 'k_1', auth: 'api-key', scopes: [] } }));
    expect(untrusted).toMatchObject({ status: 'planned', verdicts: { approvals: [{ approver: 'bob', counted: false, assertedBy: 'key k_1' }] } });
    expect(summarizeChange('CHG-1', story(requested, { type: 'change.cancelled', reason: 'x' })).verdicts.outcome.value).toBe('cancelled');
  });

  it('orders by seq whatever order the events come in', () => {
    const events = story(requested, planned, approvedBy('bob'), started(), succeeded());
    expect(summarizeChange('CHG-1', [...events].reverse())).toEqual(summarizeChange('CHG-1', events));
  });
});
