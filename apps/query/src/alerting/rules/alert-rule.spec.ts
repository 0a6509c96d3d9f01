import { anAcceptedEvent } from '@audit/testing';
import { parseQuery, matchesEvent } from '@audit/query-language';
import { parseRule } from './alert-rule.schema';
import { BUILTIN_RULES } from './builtin-rules';

const ast = (q: string) => {
  const r = parseQuery(q);
  if (!r.ok) throw new Error(r.error.message);
  return r.ast;
};

describe('rule definitions', () => {
  it('parses durations and filters, with defaults', () => {
    const r = parseRule({ type: 'frequency', name: 'failed deploys', filter: 'type:deployment.failed env:prod', threshold: 5, window: '10m', groupBy: 'actor' });
    expect(r).toMatchObject({ ok: true, definition: { window: 600_000, realert: 600_000, severity: 'medium', enabled: true, groupBy: 'actor', notify: [] } });
    if (r.ok) expect(r.definition.filter.ast).toEqual(ast('type:deployment.failed env:prod'));
  });

  it.each([
    [{ type: 'frequency', name: 'x', threshold: 0, window: '10m' }, 'threshold'],
    [{ type: 'frequency', name: 'x', threshold: 3, window: '10 minutes' }, 'window'],
    [{ type: 'frequency', name: 'x', threshold: 3, window: '91d' }, 'window'],
    [{ type: 'match', name: 'x', filter: 'actor.id:bob' }, 'filter'],
    [{ type: 'match', name: 'x', groupBy: 'details.user' }, 'groupBy'],
    [{ type: 'sequence', name: 'x', mode: 'missing_followup', first: 'type:breakglass.invoked', then: 'type:(', within: '1d' }, 'then'],
    [{ type: 'spike', name: 'x', window: '1h', ratio: 1 }, 'ratio'],
    [{ type: 'off_hours_change', name: 'x', timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ type: 'off_hours_change', name: 'x', workStart: '18:00', workEnd: '08:00' }, 'workEnd'],
    [{ type: 'match', name: 'x', colour: 'red' }, '(root)'],
    [{ type: 'nope', name: 'x' }, 'type'],
  ])('refuses %j naming %s', (input, path) => {
    const r = parseRule(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(path);
  });

  it('every built-in rule is valid', () => {
    for (const [id, def] of Object.entries(BUILTIN_RULES)) expect([id, parseRule(def).ok]).toEqual([id, true]);
  });
});

describe('in-memory matcher agrees with the search language', () => {
  const event = anAcceptedEvent('t1', {
    type: 'access.granted',
    actor: { id: 'mallory', type: 'user', roles: ['cluster-admin', 'dev'], teams: ['platform'], displayName: 'Mallory Night' },
    resource: { kind: 'k8s.clusterrolebinding', id: 'prod-eu/admin-binding', environment: 'prod', name: 'Admin Binding' },
    access: { principal: 'mallory', role: 'cluster-admin' },
    reason: 'Emergency access, pager #4411',
    occurredAt: '2026-11-25T03:00:00.000Z',
  });
  it.each([
    ['type:access.granted role:cluster-admin', true],
    ['type:access.* env:prod', true],
    ['type:access.granted role:viewer', false],
    ['-env:prod', false],
    ['env:staging OR actor:mallory', true],
    ['resource:prod-eu/*', true],
    ['resource:prod-us*', false],
    ['after:2026-11-25 before:2026-11-26', true],
    ['after:2026-11-25T03:00:00Z', true],
    ['before:2026-11-25T03:00:00Z', false],
    ['emergency pager', true],
    ['"emergency access"', true],
    ['"access emergency"', false],
    ['night', true],
    ['kind:k8s.clusterrolebinding team:platform', true],
    ['outcome:failed', false],
    ['', true],
  ])('%s → %s', (q, expected) => {
    expect(matchesEvent(ast(q), event)).toBe(expected);
  });
});
