import { AcceptedEvent, type AuditEventInput, type CommittedRecord } from '@audit/contracts';
import { anAcceptedEvent } from '@audit/testing';
import { ChangeStory, people } from '@audit/change-lifecycle/testing';
import { parseRule, type AlertRule, type RuleDefinitionInput } from '../rules/alert-rule.schema';
import { BUILTIN_RULES } from '../rules/builtin-rules';
import { localTime, overdueSequenceFiring, stateKeys, step, type KeyState } from './stream-evaluator';

const rule = (source: RuleDefinitionInput, id = 'r1'): AlertRule => {
  const parsed = parseRule(source);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return { tenant: 't1', id, version: 1, definition: parsed.definition, source };
};

let seq = 0;
const rec = (input: Partial<AuditEventInput>): CommittedRecord => ({
  event: AcceptedEvent.parse(anAcceptedEvent('t1', input)),
  seq: ++seq,
  recordedAt: '2026-11-25T10:00:00.000Z',
  leafHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  prevHash: 'c'.repeat(64),
});
const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

/** Runs records through a rule the way the consumer does, keeping state in a map. */
function run(r: AlertRule, records: CommittedRecord[], states = new Map<string, KeyState>()) {
  const firings = [];
  for (const record of records) {
    const keys = stateKeys(r.definition, record);
    const result = step({ rule: r, record, states: new Map(keys.flatMap((k) => (states.has(k) ? [[k, states.get(k)!]] : []))) });
    for (const u of result.updates) {
      if (u.state === null) states.delete(u.key);
      else states.set(u.key, u.state);
    }
    firings.push(...result.firings);
  }
  return { firings, states };
}

describe('streaming rules', () => {
  const failed = (minute: number, actor = 'ci') => rec({ type: 'deployment.failed', outcome: 'failed', occurredAt: at(minute), actor: { id: actor, type: 'pipeline', roles: [], teams: [] } });

  it('frequency fires at the threshold within the window, not one under, and starts a fresh window', () => {
    const r = rule({ type: 'frequency', name: 'f', filter: 'type:deployment.failed', threshold: 3, window: '10m' });
    expect(run(r, [failed(0), failed(5)]).firings).toHaveLength(0);
    expect(run(r, [failed(0), failed(5), failed(11)]).firings).toHaveLength(0); // minute 0 left the window
    const { firings, states } = run(r, [failed(0), failed(5), failed(9)]);
    expect(firings).toEqual([expect.objectContaining({ groupKey: '', matchedSeqs: expect.any(Array) })]);
    expect(firings[0]!.matchedSeqs).toHaveLength(3);
    expect(states.size).toBe(0);
  });

  it('frequency per group counts each group alone', () => {
    const r = rule({ type: 'frequency', name: 'f', filter: 'type:deployment.failed', threshold: 2, window: '10m', groupBy: 'actor' });
    expect(run(r, [failed(0, 'a'), failed(1, 'b')]).firings).toHaveLength(0);
    expect(run(r, [failed(0, 'a'), failed(1, 'b'), failed(2, 'a')]).firings.map((f) => f.groupKey)).toEqual(['a']);
  });

  it('match fires per matching event with the group key', () => {
    const r = rule({ type: 'match', name: 'm', filter: 'type:access.granted role:cluster-admin', groupBy: 'actor' });
    const grant = (roles: string[]) => rec({ type: 'access.granted', access: { principal: 'x', role: 'cluster-admin' }, actor: { id: 'eve', type: 'user', roles, teams: [] } });
    expect(run(r, [grant(['dev'])]).firings).toHaveLength(0);
    expect(run(r, [grant(['cluster-admin'])]).firings).toEqual([expect.objectContaining({ groupKey: 'eve' })]);
  });

  it('new_term fires on a value not seen in the look-back, not on a repeat', () => {
    const r = rule({ type: 'new_term', name: 'n', filter: 'type:deployment.started env:prod', field: 'actor', lookback: '1d' });
    const deploy = (actor: string, minute: number) => rec({ type: 'deployment.started', artifact: { digest: `sha256:${'a'.repeat(64)}`, kind: 'container-image' }, occurredAt: at(minute), actor: { id: actor, type: 'user', roles: [], teams: [] } });
    const { firings } = run(r, [deploy('alice', 0), deploy('alice', 1), deploy('bob', 2)]);
    expect(firings.map((f) => f.groupKey)).toEqual(['alice', 'bob']);
    const states = new Map<string, KeyState>([['alice', { lastSeen: Date.parse(at(0)) - 2 * 86_400_000 }]]);
    expect(run(r, [deploy('alice', 3)], states).firings).toHaveLength(1);
  });

  it('sequence missing_followup leaves a pending deadline that the sweep fires, cleared by the follow-up', () => {
    const r = rule({ type: 'sequence', name: 's', mode: 'missing_followup', first: 'type:breakglass.invoked', then: 'type:breakglass.reviewed', within: '1h' });
    const invoked = rec({ type: 'breakglass.invoked', changeId: 'CHG-1', reason: 'fire', occurredAt: at(0) });
    const { states } = run(r, [invoked]);
    expect(states.get('CHG-1')).toMatchObject({ dueAt: Date.parse(at(60)) });
    expect(overdueSequenceFiring(r, 'CHG-1', states.get('CHG-1')!)).toMatchObject({ groupKey: 'CHG-1', matchedSeqs: [invoked.seq], at: at(60) });
    expect(run(r, [rec({ type: 'breakglass.reviewed', changeId: 'CHG-1', occurredAt: at(30) })], states).states.size).toBe(0);
  });

  it('sequence missing_precursor fires on B without A within the window', () => {
    const r = rule({ type: 'sequence', name: 's', mode: 'missing_precursor', first: 'type:approval.granted', then: 'type:deployment.started env:prod', within: '1d' });
    const approve = (c: string) => rec({ type: 'approval.granted', changeId: c, plan: { digest: `sha256:${'1'.repeat(64)}` }, occurredAt: at(0) });
    const deploy = (c: string) => rec({ type: 'deployment.started', changeId: c, artifact: { digest: `sha256:${'a'.repeat(64)}`, kind: 'container-image' }, occurredAt: at(5) });
    expect(run(r, [approve('C1'), deploy('C1')]).firings).toHaveLength(0);
    expect(run(r, [approve('C1'), deploy('C2')]).firings.map((f) => f.groupKey)).toEqual(['C2']);
  });

  it('off-hours: in the configured time zone and working days', () => {
    const r = rule({ type: 'off_hours_change', name: 'o', timeZone: 'Europe/Paris', workStart: '08:00', workEnd: '18:00' });
    const change = (iso: string, environment = 'prod') => rec({ type: 'config.changed', occurredAt: iso, resource: { kind: 'k8s.configmap', id: 'cm', environment } });
    expect(run(r, [change('2026-11-25T08:00:00.000Z')]).firings).toHaveLength(0); // Wed 09:00 Paris
    expect(run(r, [change('2026-11-25T16:59:00.000Z')]).firings).toHaveLength(0); // 17:59
    expect(run(r, [change('2026-11-25T17:00:00.000Z')]).firings).toHaveLength(1); // 18:00
    expect(run(r, [change('2026-11-28T10:00:00.000Z')]).firings).toHaveLength(1); // Saturday
    expect(run(r, [change('2026-11-25T02:00:00.000Z', 'dev')]).firings).toHaveLength(0);
    expect(localTime(Date.parse('2026-07-01T22:30:00Z'), 'Europe/Paris')).toEqual({ isoWeekday: 4, hhmm: '00:30' });
  });

  it('break-glass overdue and failed verification built-ins', () => {
    const bg = rule(BUILTIN_RULES['builtin.breakglass-overdue']!);
    expect(run(bg, [rec({ type: 'policy.evaluated', details: { overdueReview: false } })]).firings).toHaveLength(0);
    expect(run(bg, [rec({ type: 'policy.evaluated', changeId: 'CHG-9', details: { overdueReview: true } })]).firings.map((f) => f.groupKey)).toEqual(['CHG-9']);
    const lv = rule(BUILTIN_RULES['builtin.ledger-verification-failed']!);
    expect(run(lv, [rec({ type: 'ledger.verified', outcome: 'succeeded' })]).firings).toHaveLength(0);
    expect(run(lv, [rec({ type: 'ledger.verified', outcome: 'failed', reason: 'seq 7 hash mismatch' })]).firings).toHaveLength(1);
  });

  it('append-failed built-in: fires (high) on ledger.append_failed only, one group per failed event', () => {
    const af = rule(BUILTIN_RULES['builtin.ledger-append-failed']!);
    expect(af.definition.severity).toBe('high');
    const failure = (eventId: string) =>
      rec({ type: 'ledger.append_failed', outcome: 'failed', actor: { id: 'ledger', type: 'service', roles: [], teams: [] }, resource: { kind: 'audit-event', id: eventId, environment: 'prod' }, details: { eventId } });
    expect(run(af, [rec({ type: 'deployment.failed', outcome: 'failed' }), rec({ type: 'ledger.verified', outcome: 'failed' })]).firings).toHaveLength(0);
    const { firings } = run(af, [failure('019ae9a0-0000-7000-8000-000000000001'), failure('019ae9a0-0000-7000-8000-000000000002')]);
    expect(firings.map((f) => f.groupKey)).toEqual(['019ae9a0-0000-7000-8000-000000000001', '019ae9a0-0000-7000-8000-000000000002']);
  });
});

describe('domain rules judge changes with the change model (issue 15)', () => {
  const { alice, bob, erin, mallory } = people;
  /** Given a change's events, which records does the rule fire on (as the consumer runs it, with the history so far)? */
  const firedAt = (r: AlertRule, c: ChangeStory): number[] =>
    c.events.flatMap((e, i) => {
      const history = c.events.slice(0, i + 1).map((h) => ({ seq: h.seq, recordedAt: h.event.receivedAt, hash: 'f'.repeat(64), event: h.event }));
      const record: CommittedRecord = { event: e.event, seq: e.seq, recordedAt: e.event.receivedAt, leafHash: 'a'.repeat(64), hash: 'b'.repeat(64), prevHash: 'c'.repeat(64) };
      return step({ rule: r, record, states: new Map(), changeEvents: history }).firings.length > 0 ? [e.seq] : [];
    });
  const prod = rule(BUILTIN_RULES['builtin.prod-without-approval']!);
  const mismatch = rule(BUILTIN_RULES['builtin.artifact-mismatch']!);
  const untrusted = rule(BUILTIN_RULES['builtin.untrusted-approval']!);
  const approved = () => new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(erin, 'v1');

  it('raises no prod-without-approval when a gate call about another plan was denied before the approved plan ran', () => {
    const c = approved().gate('v1', { artifact: 'image-1' }).gate('v2', { artifact: 'image-1' }).deploy('v1', 'image-1');
    expect(firedAt(prod, c)).toEqual([]);
  });

  it('raises nothing for a rollback of a partially failed run, and keeps judging its own artifact', () => {
    const c = approved()
      .gate('v1', { artifact: 'image-1' })
      .deploy('v1', 'image-1')
      .finish('partially_failed', 'image-1')
      .rollbackPlan('undo', 'v1')
      .gate('undo', { artifact: 'image-0' })
      .deploy('undo', 'image-0')
      .finish('succeeded', 'image-0');
    expect(firedAt(prod, c)).toEqual([]);
    expect(firedAt(mismatch, c)).toEqual([]);
    c.finish('succeeded', 'image-9');
    expect(firedAt(mismatch, c)).toEqual([c.events.at(-1)!.seq]);
  });

  it('raises prod-without-approval when only an untrusted key approved, and the untrusted-approval alert at the claim', () => {
    const c = new ChangeStory().request(alice).plan('v1').approve(bob, 'v1').approve(mallory, 'v1', 'emitter-key').gate('v1').deploy('v1');
    expect(firedAt(prod, c)).toEqual([6]);
    expect(firedAt(untrusted, c)).toEqual([4]);
    expect(firedAt(untrusted, approved())).toEqual([]);
  });
});
