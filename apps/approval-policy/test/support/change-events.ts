import { createHash } from 'node:crypto';
import type { AcceptedEvent, AuditEventInput, Provenance } from '@audit/contracts';
import { uuidv7 } from '@audit/contracts';
import type { ChangeEvent } from '@audit/change-lifecycle';
import { compilePolicy } from '../../src/policy/compile-policy';
import type { PolicyInForce } from '../../src/decision/decide-change';
import type { PolicyDocumentInput } from '../../src/policy/policy.document';

export const digestOf = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;

type Who = { id: string; teams?: readonly string[]; roles?: readonly string[] };

/**
 * Builds the committed events of one change, in order, with a controllable receipt time: the
 * vocabulary of the decider's specs (`c.request(alice)`, `c.plan('v1')`, `c.approve(bob, 'v1')`).
 */
export class ChangeStory {
  readonly events: ChangeEvent[] = [];
  private seq = 0;
  clock = new Date('2026-11-25T10:00:00.000Z');

  constructor(
    readonly changeId = 'CHG-1',
    readonly tenant = 'acme',
    readonly environment = 'prod',
  ) {}

  at(iso: string): this {
    this.clock = new Date(iso);
    return this;
  }

  add(input: Partial<AuditEventInput> & Pick<AuditEventInput, 'type'>, who: Who, provenance?: Provenance): this {
    const event = {
      version: 1,
      occurredAt: this.clock.toISOString(),
      resource: { kind: 'aws_db_instance', id: 'payments-db', environment: this.environment },
      changeId: this.changeId,
      ...input,
      actor: { id: who.id, type: 'user', roles: [...(who.roles ?? [])], teams: [...(who.teams ?? [])] },
      tenant: this.tenant,
      id: uuidv7(this.clock),
      receivedAt: this.clock.toISOString(),
      ...(provenance ? { provenance } : {}),
    } as AcceptedEvent;
    this.events.push({ seq: ++this.seq, event });
    return this;
  }

  request(who: Who, extra: Partial<AuditEventInput> = {}): this {
    return this.add({ type: 'change.requested', reason: 'raise max_connections', ...extra }, who);
  }
  plan(label: string, summary: Partial<NonNullable<NonNullable<AuditEventInput['plan']>['summary']>> = {}, extra: Partial<AuditEventInput> = {}): this {
    const s = { adds: 0, changes: 1, destroys: 0, replacements: 0, iamChanges: 0, securityGroupChanges: 0, drift: 0, resourceTypes: [], ...summary };
    return this.add({ type: 'plan.created', plan: { digest: digestOf(label), summary: s }, ...extra }, { id: 'terraform-ci' });
  }
  /** Approvals and rejections come through the approvals API, as the change model counts them (issue 15). */
  approve(who: Who, planLabel: string): this {
    return this.add({ type: 'approval.granted', plan: { digest: digestOf(planLabel) }, reason: 'lgtm' }, who, viaApprovalsApi(who));
  }
  reject(who: Who, planLabel: string, reason = 'too risky'): this {
    return this.add({ type: 'approval.rejected', plan: { digest: digestOf(planLabel) }, reason }, who, viaApprovalsApi(who));
  }
  /** A verified GitHub review: the signed webhook's provenance. */
  githubReview(who: Who, state: 'allowed' | 'rejected'): this {
    const github: Provenance = { kind: 'webhook', id: 'github:delivery-1', auth: 'hmac-sha256', scopes: [], via: 'github', delivery: 'delivery-1' };
    return this.add({ type: 'review.submitted', outcome: state, resource: { kind: 'github.pull_request', id: 'acme/infra#7', environment: 'scm' } }, who, github);
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
}

function viaApprovalsApi(who: Who): Provenance {
  return { kind: 'user_token', id: `test|${who.id}`, auth: 'jwt', scopes: [], subject: who.id, roles: [...(who.roles ?? [])], groups: [...(who.teams ?? [])], via: 'approvals-api' };
}

export function inForce(doc: PolicyDocumentInput, version = 1): PolicyInForce {
  const compiled = compilePolicy(doc);
  if (!compiled.ok) throw new Error(`test policy does not compile: ${JSON.stringify(compiled.issues)}`);
  return { version, policy: compiled.policy };
}

/** The policy most specs use: prod needs 1 sre + 1 security; staging is allowed; all else denied. */
export const STANDARD_POLICY: PolicyDocumentInput = {
  groups: [
    { name: 'sre', members: ['bob', 'carol', 'dan'] },
    { name: 'security', members: ['erin', 'frank', 'dan'] },
  ],
  rules: [
    { name: 'no-friday-iam', when: 'plan.iamChanges > 0 && now.weekday == 5', require: { deny: 'no IAM changes on Fridays' } },
    {
      name: 'prod-needs-two',
      when: 'change.environment == "prod"',
      require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }], validFor: 'PT4H', breakGlass: true },
    },
    { name: 'staging-free', when: 'change.environment == "staging"', require: { allow: true } },
  ],
};

export const people = {
  alice: { id: 'alice', teams: ['payments'] },
  bob: { id: 'bob', teams: ['sre'] },
  carol: { id: 'carol', teams: ['sre'] },
  dan: { id: 'dan', teams: ['sre', 'security'] },
  erin: { id: 'erin', teams: ['security'] },
  mallory: { id: 'mallory', teams: ['sre', 'security'] },
} as const;
