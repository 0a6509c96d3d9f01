import { facetTerm, localInputToRfc3339, presetRange, refineWithFacet, withTimeRange } from './search-query';

describe('search query edits', () => {
  const now = new Date('2026-03-10T12:34:56.789Z');

  it('maps presets to after: at the given time', () => {
    expect(presetRange('1h', now)).toEqual({ after: '2026-03-10T11:34:56Z' });
    expect(presetRange('7d', now)).toEqual({ after: '2026-03-03T12:34:56Z' });
    expect(presetRange('all', now)).toEqual({});
  });

  it('replaces existing after:/before: terms and keeps the rest', () => {
    expect(withTimeRange('actor:alice after:2025-01-01 env:prod before:"2025-02-01"', { after: '2026-03-10T11:34:56Z' })).toBe('actor:alice env:prod after:2026-03-10T11:34:56Z');
    expect(withTimeRange('after:2025-01-01', {})).toBe('');
    expect(withTimeRange('', { after: 'a', before: 'b' })).toBe('after:a before:b');
    // A free-text word that merely contains "after" is not a time term.
    expect(withTimeRange('hereafter:x thereafter', {})).toBe('hereafter:x thereafter');
  });

  it('converts datetime-local values to RFC 3339 UTC', () => {
    expect(localInputToRfc3339('')).toBeUndefined();
    expect(localInputToRfc3339('not a date')).toBeUndefined();
    expect(localInputToRfc3339('2026-03-10T12:00')).toMatch(/^2026-03-1\dT\d\d:00:00Z$/);
  });

  it('refines with quoted facet terms, once, grouping a top-level OR', () => {
    expect(facetTerm('environment', 'prod')).toBe('env:"prod"');
    expect(refineWithFacet('', 'type', 'deployment.started')).toBe('type:"deployment.started"');
    expect(refineWithFacet('actor:alice', 'outcome', 'failed')).toBe('actor:alice outcome:"failed"');
    expect(refineWithFacet('actor:alice outcome:"failed"', 'outcome', 'failed')).toBe('actor:alice outcome:"failed"');
    expect(refineWithFacet('env:dev OR env:prod', 'actor', 'bob')).toBe('(env:dev OR env:prod) actor:"bob"');
    expect(refineWithFacet('x', 'actor', 'we"ird')).toBe('x actor:we"ird');
  });
});
