import { definitionFromForm, fieldsOf, formFromDefinition, placeErrors, TYPE_FIELDS } from './rule-form';

describe('rule form', () => {
  it('writes only the inputs of the chosen type, with numbers and lists converted', () => {
    const values = { name: ' Failed deploys ', severity: 'high', enabled: true, filter: 'type:deployment.failed', threshold: '3', window: '5m', notify: 'oncall, chat,', workDays: '1,2' };
    expect(definitionFromForm('frequency', values)).toEqual({ type: 'frequency', name: 'Failed deploys', severity: 'high', enabled: true, filter: 'type:deployment.failed', threshold: 3, window: '5m', notify: ['oncall', 'chat'] });
    expect(definitionFromForm('off_hours_change', { ...values, workDays: '1, 2, x' })).toMatchObject({ workDays: [1, 2, 'x'] });
    expect(definitionFromForm('off_hours_change', values)).not.toHaveProperty('threshold');
  });

  it('leaves empty inputs out so the service applies its defaults or names the missing field', () => {
    expect(definitionFromForm('match', { name: '', filter: '  ', enabled: false })).toEqual({ type: 'match', enabled: false });
    // An unset checkbox means enabled, as the service's default does.
    expect(definitionFromForm('match', {})).toEqual({ type: 'match', enabled: true });
  });

  it('sends text that is not a number as typed, for the service to refuse by field', () => {
    expect(definitionFromForm('frequency', { threshold: 'three', window: '5' })).toMatchObject({ threshold: 'three', window: '5' });
    expect(definitionFromForm('spike', { ratio: '1.5', minCount: '-2' })).toMatchObject({ ratio: 1.5, minCount: -2 });
  });

  it('reads a stored definition back into the same form values', () => {
    const stored = { type: 'off_hours_change', name: 'Off hours', severity: 'medium', timeZone: 'Europe/Paris', workDays: [1, 2, 3], environments: ['prod', 'dr'], enabled: false };
    const values = formFromDefinition(stored);
    expect(values).toEqual({ enabled: false, name: 'Off hours', severity: 'medium', timeZone: 'Europe/Paris', workDays: '1, 2, 3', environments: 'prod, dr' });
    expect(definitionFromForm('off_hours_change', values)).toEqual(stored);
  });

  it('has an input for every field of every type, each name once', () => {
    for (const type of Object.keys(TYPE_FIELDS)) {
      const names = fieldsOf(type).map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(fieldsOf('sequence').map((f) => f.name)).toEqual(expect.arrayContaining(['mode', 'first', 'then', 'within', 'correlateBy']));
  });

  it('places the service errors next to their inputs and keeps the rest apart', () => {
    const placed = placeErrors(
      [
        { path: 'window', message: 'must be a number followed by s, m, h or d (e.g. 10m)' },
        { path: 'threshold', message: 'Too small: expected number to be >=1' },
        { path: 'workDays.2', message: 'Too big' },
        { path: 'ruleId', message: 'must match ^[a-z0-9]…' },
        { path: '(root)', message: 'Unrecognized key: "bogus"' },
      ],
      'frequency',
    );
    expect(placed.byField).toEqual({ window: ['must be a number followed by s, m, h or d (e.g. 10m)'], threshold: ['Too small: expected number to be >=1'], ruleId: ['must match ^[a-z0-9]…'] });
    // workDays is not an input of a frequency rule: it is listed apart, with its path.
    expect(placed.other.map((e) => e.path)).toEqual(['workDays.2', '(root)']);
    expect(placeErrors([{ path: 'workDays.2', message: 'Too big' }], 'off_hours_change').byField).toEqual({ workDays: ['2: Too big'] });
    expect(placeErrors(undefined, 'match')).toEqual({ byField: {}, other: [] });
  });
});
