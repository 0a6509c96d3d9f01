import { STANDARD_POLICY } from '../../test/support/change-events';
import { compilePolicy, policyPath } from './compile-policy';
import { parseIsoDuration } from '@audit/change-lifecycle';

const withRule = (rule: object) => ({ ...STANDARD_POLICY, rules: [...STANDARD_POLICY.rules, rule] });
const issuesOf = (doc: unknown) => {
  const r = compilePolicy(doc);
  if (r.ok) throw new Error('expected the policy to be refused');
  return r.issues;
};

describe('compilePolicy', () => {
  it('compiles a good policy, with a stable digest', () => {
    const a = compilePolicy(STANDARD_POLICY);
    const b = compilePolicy(JSON.parse(JSON.stringify(STANDARD_POLICY)));
    expect(a.ok && b.ok && a.policy.digest === b.policy.digest).toBe(true);
    expect(a.ok && a.policy.rules.map((r) => r.name)).toEqual(['no-friday-iam', 'prod-needs-two', 'staging-free']);
  });

  it('reports a CEL syntax error with its rule and position', () => {
    expect(issuesOf(withRule({ name: 'broken', when: 'change.environment ==\n  && plan.destroys > 0', require: { allow: true } }))).toEqual([
      { path: 'rules[3].when', message: expect.stringMatching(/^CEL error at line 2, column 3: /), position: { offset: 24, end: expect.any(Number), line: 2, column: 3 } },
    ]);
  });

  it('reports CEL type errors and unknown fields with their position', () => {
    const issues = issuesOf({
      ...STANDARD_POLICY,
      rules: [
        { name: 'a', when: 'plan.destroys + "x" > 0', require: { allow: true } },
        { name: 'b', when: 'change.nope == "prod"', require: { allow: true } },
        { name: 'c', when: 'plan.destroys', require: { allow: true } },
      ],
    });
    expect(issues).toEqual([
      { path: 'rules[0].when', message: expect.stringMatching(/no such overload: int \+ string/), position: expect.objectContaining({ offset: 0 }) },
      { path: 'rules[1].when', message: 'CEL error at line 1, column 8: No such key: nope', position: expect.objectContaining({ offset: 7, column: 8 }) },
      { path: 'rules[2].when', message: 'CEL condition must be a bool, this one is int' },
    ]);
  });

  it('refuses unknown groups and impossible quorums', () => {
    const issues = issuesOf({
      groups: [
        { name: 'sre', members: ['bob', 'carol'] },
        { name: 'security', members: ['bob'] },
      ],
      rules: [
        { name: 'unknown', when: 'true', require: { approvals: [{ group: 'dba', count: 1 }] } },
        { name: 'zero', when: 'true', require: { approvals: [{ group: 'sre', count: 0 }] } },
        { name: 'too-many', when: 'true', require: { approvals: [{ group: 'sre', count: 3 }] } },
        { name: 'overlap', when: 'true', require: { approvals: [{ group: 'sre', count: 2 }, { group: 'security', count: 1 }] } },
        { name: 'gh', when: 'true', require: { approvals: [{ group: 'github-reviewer', count: 1 }] } },
      ],
    });
    expect(issues).toEqual([
      { path: 'rules[0].require.approvals[0].group', message: 'unknown group "dba": declare it under groups' },
      { path: 'rules[1].require.approvals[0].count', message: 'impossible quorum: count must be at least 1 (got 0)' },
      { path: 'rules[2].require.approvals[0].count', message: 'impossible quorum: 3 approvals from "sre", which has 2 member(s)' },
      { path: 'rules[3].require.approvals', message: expect.stringMatching(/impossible quorum: .*distinct people/) },
      { path: 'rules[4].require.approvals[0].group', message: 'group github-reviewer needs acceptGithubReviews: true' },
    ]);
  });

  it('names schema problems with their path', () => {
    expect(issuesOf({ rules: [{ name: 'x', when: 'true', require: { approvals: [], validFor: '1 hour' } }], extra: 1 })).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '', message: 'unknown field(s): extra' }), expect.objectContaining({ path: 'rules[0].require.approvals' }), expect.objectContaining({ path: 'rules[0].require.validFor', message: expect.stringMatching(/ISO 8601/) })]),
    );
    expect(issuesOf({ rules: [] })).toEqual([expect.objectContaining({ path: 'rules' })]);
    expect(issuesOf({ ...STANDARD_POLICY, freezeWindows: [{ name: 'w', timeZone: 'Mars/Olympus' }] })).toEqual([
      expect.objectContaining({ path: 'freezeWindows[0].timeZone' }),
    ]);
  });

  it('formats paths the way policy authors read them', () => {
    expect(policyPath(['rules', 2, 'require', 'approvals', 0, 'count'])).toBe('rules[2].require.approvals[0].count');
  });
});

describe('parseIsoDuration', () => {
  it.each([
    ['PT4H', 4 * 3_600_000],
    ['P1D', 86_400_000],
    ['P1DT30M', 86_400_000 + 1_800_000],
    ['PT90S', 90_000],
  ])('%s', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));
  it.each(['P', 'PT', 'P1M', '4h', 'PT0H', ''])('refuses %j', (text) => expect(parseIsoDuration(text)).toBeUndefined());
});
