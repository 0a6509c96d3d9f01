import { ApiError } from '../common/api';
import { actionsFor, alertListParams, changeEventsQuery, describeRefusal, searchHref, seqSummary, utc } from './alert-view';

describe('alerts page helpers', () => {
  it('offers the transitions the service allows, and none to a role that may not transition', () => {
    expect(actionsFor('firing', true)).toEqual(['ack', 'resolve']);
    expect(actionsFor('acknowledged', true)).toEqual(['resolve']);
    expect(actionsFor('resolved', true)).toEqual([]);
    expect(actionsFor('firing', false)).toEqual([]);
    expect(actionsFor('acknowledged', false)).toEqual([]);
  });

  it('links a change to its events in the search, quoted and URL-encoded', () => {
    expect(changeEventsQuery('CHG-1')).toBe('change:"CHG-1"');
    expect(changeEventsQuery('we"ird')).toBe('change:we"ird');
    expect(searchHref('change:"CHG 1&x"')).toBe('#/search?q=change%3A%22CHG%201%26x%22');
    expect(new URLSearchParams(searchHref('change:"a b"').split('?')[1]).get('q')).toBe('change:"a b"');
  });

  it('leaves empty filters out of the list query', () => {
    expect(alertListParams({ state: '', ruleId: '' }, 200)).toEqual({ state: undefined, ruleId: undefined, limit: 200 });
    expect(alertListParams({ state: 'firing', ruleId: 'builtin.artifact-mismatch' }, 50)).toEqual({ state: 'firing', ruleId: 'builtin.artifact-mismatch', limit: 50 });
  });

  it('shows times in UTC without milliseconds and a dash for none', () => {
    expect(utc('2026-03-10T12:34:56.789Z')).toBe('2026-03-10 12:34:56 UTC');
    expect(utc('2026-03-10T12:34:56Z')).toBe('2026-03-10 12:34:56 UTC');
    expect(utc(null)).toBe('—');
  });

  it('shortens long seq lists and says how many are left out', () => {
    expect(seqSummary([1, 2, 3])).toEqual({ shown: [1, 2, 3], more: 0 });
    expect(seqSummary(Array.from({ length: 20 }, (_, i) => i + 1), 8)).toEqual({ shown: [1, 2, 3, 4, 5, 6, 7, 8], more: 12 });
  });

  it('says a refusal with the problem of the service: the role it wanted (403) or the state it found (409)', () => {
    const forbidden = new ApiError(403, { title: 'Not allowed for your role', status: 403, detail: 'alerts.transition needs the auditor role or above' });
    expect(describeRefusal('acknowledge “X”', forbidden)).toBe(
      'The query service refused to acknowledge “X”: 403 Not allowed for your role — alerts.transition needs the auditor role or above. Your role does not allow it; ask an auditor or admin.',
    );
    const conflict = new ApiError(409, { title: 'Conflict', status: 409, detail: 'the alert is already acknowledged' });
    expect(describeRefusal('acknowledge “X”', conflict)).toBe('Could not acknowledge “X”: 409 Conflict — the alert is already acknowledged. The list now shows the alert as it is.');
    expect(describeRefusal('resolve “X”', new Error('Failed to fetch'))).toBe('Could not resolve “X”: Failed to fetch');
  });
});
