import { compilePolicy } from '../../src/policy/compile-policy';
import type { PolicyInForce } from '../../src/decision/decide-change';
import type { PolicyDocumentInput } from '../../src/policy/policy.document';

/**
 * The decider's spec vocabulary (`c.request(alice)`, `c.plan('v1')`, `c.approve(bob, 'v1')`) is the change
 * model's own: approvals come through the approvals API, GitHub reviews with the signed webhook's provenance.
 */
export { ChangeStory, digestOf, people } from '@audit/change-lifecycle/testing';

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
