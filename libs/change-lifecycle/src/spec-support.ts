import { createHash } from 'node:crypto';
import type { AcceptedEvent, AuditEventInput, Provenance } from '@audit/contracts';
import { foldChange } from './evolve';
import { decideGate, type GateDecision } from './gate';
import { recordedRule, type ResolvedRule } from './resolved-rule';
import type { ChangeEvent } from './state';

/**
 * The vocabulary of the change-lifecycle specs (`c.request(alice)`, `c.plan('v1')`, `c.approve(bob, 'v1')`,
 * `c.gate('v1')`, `c.deploy('v1')`): committed events of one change with a controllable receipt time and
 * the provenance each door would stamp. Test support only: not exported from the library's index.
 */
type PlanSummary = NonNullable<NonNullable<AuditEventInput['plan']>['summary']>;

export const digestOf = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;

export type Who = { id: string; teams?: readonly string[]; roles?: readonly string[] };

/** Who asserts an approval: the approvals API (verified token), an approval system's key, GitHub, or a plain key. */
export type ClaimSource = 'approvals-api' | 'approvals-key' | 'github' | 'emitter-key' | 'none';

/** null: no provenance at all, as on records accepted before it existed. */
export function provenanceOf(source: ClaimSource, who: Who): Provenance | null {
  switch (source) {
    case 'approvals-api':
      return { kind: 'user_token', id: `https://idp.example|${who.id}`, auth: 'jwt-hs256', scopes: [], issuer: 'https://idp.example', subject: who.id, roles: [...(who.roles ?? [])], groups: [...(who.teams ?? [])], via: 'approvals-api' };
    case 'approvals-key':
      return { kind: 'api_key', id: 'k_servicenow', auth: 'api-key', scopes: ['approvals'], via: 'http' };
    case 'github':
      return { kind: 'webhook', id: 'github:d-1', auth: 'hmac-sha256', scopes: [], via: 'github', delivery: 'd-1' };
    case 'emitter-key':
      return { kind: 'api_key', id: 'k_pipeline', auth: 'api-key', scopes: [], via: 'http' };
    case 'none':
      return null;
  }
}

const SERVICE: Provenance = { kind: 'service', id: 'approval-policy', auth: 'service-credential', scopes: [] };
const PIPELINE: Provenance = { kind: 'api_key', id: 'k_pipeline', auth: 'api-key', scopes: [], via: 'http' };

export const RULE: ResolvedRule = {
  policyId: 'acme/approval-policy',
  policyVersion: 3,
  policyDigest: `sha256:${'9'.repeat(64)}`,
  rule: 'prod-needs-two',
  require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }], validFor: 'PT4H', breakGlass: true, acceptGithubReviews: false },
  breakGlassReviewWithin: 'PT24H',
  frozen: [],
};

export class ChangeStory {
  readonly events: ChangeEvent[] = [];
  private seq = 0;
  clock = new Date('2026-11-25T10:00:00.000Z');
  /** The answers of the gate calls made with `gate()`, in order. */
  readonly answers: GateDecision[] = [];

  constructor(
    readonly changeId = 'CHG-1',
    readonly tenant = 'acme',
    readonly environment = 'prod',
  ) {}

  at(iso: string): this {
    this.clock = new Date(iso);
    return this;
  }

  later(minutes: number): this {
    this.clock = new Date(this.clock.getTime() + minutes * 60_000);
    return this;
  }

  add(input: Partial<AuditEventInput> & Pick<AuditEventInput, 'type'>, who: Who, provenance: Provenance | null = PIPELINE): this {
    const event = {
      version: 1,
      occurredAt: this.clock.toISOString(),
      resource: { kind: 'aws_db_instance', id: 'payments-db', environment: this.environment },
      changeId: this.changeId,
      ...input,
      actor: { id: who.id, type: 'user', roles: [...(who.roles ?? [])], teams: [...(who.teams ?? [])] },
      tenant: this.tenant,
      id: `0190a000-0000-7000-8000-${String(this.seq + 1).padStart(12, '0')}`,
      receivedAt: this.clock.toISOString(),
      ...(provenance ? { provenance } : {}),
    } as AcceptedEvent;
    this.events.push({ seq: ++this.seq, event });
    return this;
  }

  request(who: Who, extra: Partial<AuditEventInput> = {}): this {
    return this.add({ type: 'change.requested', reason: 'raise max_connections', ...extra }, who);
  }
  plan(label: string, summary: Partial<PlanSummary> = {}, extra: Partial<AuditEventInput> = {}): this {
    const s = { adds: 0, changes: 1, destroys: 0, replacements: 0, iamChanges: 0, securityGroupChanges: 0, drift: 0, resourceTypes: [], ...summary };
    return this.add({ type: 'plan.created', plan: { digest: digestOf(label), summary: s }, ...extra }, { id: 'terraform-ci' });
  }
  rollbackPlan(label: string, of: string, extra: Partial<AuditEventInput> = {}): this {
    return this.plan(label, {}, { details: { rollbackOf: digestOf(of) }, ...extra });
  }
  approve(who: Who, planLabel: string, source: ClaimSource = 'approvals-api'): this {
    return this.add({ type: 'approval.granted', plan: { digest: digestOf(planLabel) }, reason: 'lgtm' }, who, provenanceOf(source, who));
  }
  reject(who: Who, planLabel: string, reason = 'too risky', source: ClaimSource = 'approvals-api'): this {
    return this.add({ type: 'approval.rejected', plan: { digest: digestOf(planLabel) }, reason }, who, provenanceOf(source, who));
  }
  revoke(who: Who): this {
    return this.add({ type: 'approval.revoked', reason: 'changed my mind' }, who, provenanceOf('approvals-api', who));
  }
  githubReview(who: Who, state: 'allowed' | 'rejected', source: ClaimSource = 'github'): this {
    return this.add({ type: 'review.submitted', outcome: state, resource: { kind: 'github.pull_request', id: 'acme/infra#7', environment: 'scm' } }, who, provenanceOf(source, who));
  }
  breakGlass(who: Who, reason = 'prod is down'): this {
    return this.add({ type: 'breakglass.invoked', reason }, who);
  }
  reviewBreakGlass(who: Who): this {
    return this.add({ type: 'breakglass.reviewed', reason: 'reviewed after the incident' }, who);
  }
  cancel(who: Who, reason = 'not needed'): this {
    return this.add({ type: 'change.cancelled', reason }, who);
  }

  /**
   * A gate call, as approval-policy answers and records it: decides on the state so far, then appends
   * the `gate.decided` our service would publish (with the resolved rule in `details.policy`).
   */
  gate(planLabel: string, opts: { artifact?: string; rule?: ResolvedRule; environment?: string } = {}): this {
    const rule = opts.rule ?? RULE;
    const answer = decideGate(foldChange(this.events), {
      kind: 'gate',
      at: this.clock,
      policy: rule,
      planDigest: digestOf(planLabel),
      ...(opts.artifact ? { artifactDigest: digestOf(opts.artifact) } : {}),
      environment: opts.environment ?? this.environment,
    });
    this.answers.push(answer);
    return this.add(
      {
        type: 'gate.decided',
        outcome: answer.allow ? 'allowed' : 'denied',
        plan: { digest: digestOf(planLabel) },
        ...(opts.artifact ? { artifact: { digest: digestOf(opts.artifact), kind: 'container-image' } } : {}),
        details: { state: answer.state, rule: answer.rule, policyVersion: answer.policyVersion, policy: recordedRule(rule) },
      },
      { id: 'pipeline-1' },
      SERVICE,
    );
  }
  deploy(planLabel: string | undefined, artifact = 'image-1'): this {
    return this.add({ type: 'deployment.started', artifact: { digest: digestOf(artifact), kind: 'container-image' }, ...(planLabel ? { plan: { digest: digestOf(planLabel) } } : {}) }, { id: 'deployer' });
  }
  finish(type: 'succeeded' | 'failed' | 'partially_failed', artifact = 'image-1'): this {
    return this.add({ type: `deployment.${type}`, outcome: type, artifact: { digest: digestOf(artifact), kind: 'container-image' } }, { id: 'deployer' });
  }
}

export const people = {
  alice: { id: 'alice', teams: ['payments'] },
  bob: { id: 'bob', teams: ['sre'] },
  carol: { id: 'carol', teams: ['sre'] },
  dan: { id: 'dan', teams: ['sre', 'security'] },
  erin: { id: 'erin', teams: ['security'] },
  mallory: { id: 'mallory', teams: ['sre', 'security'] },
} as const;
