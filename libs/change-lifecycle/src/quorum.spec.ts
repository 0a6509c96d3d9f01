import { fillQuorum } from './quorum';

describe('fillQuorum', () => {
  it('finds the assignment a greedy pass would miss', () => {
    // dan first takes sre greedily; matching moves him to security so bob can fill sre.
    const r = fillQuorum(
      [
        { group: 'sre', count: 1 },
        { group: 'security', count: 1 },
      ],
      [
        { id: 'dan', groups: ['sre', 'security'] },
        { id: 'bob', groups: ['sre'] },
      ],
    );
    expect(r.satisfied).toBe(true);
    expect(r.assignment).toEqual([
      { id: 'bob', group: 'sre' },
      { id: 'dan', group: 'security' },
    ]);
  });
  it('reports what is missing', () => {
    expect(fillQuorum([{ group: 'sre', count: 2 }], [{ id: 'bob', groups: ['sre'] }]).missing).toEqual([{ group: 'sre', needed: 2, have: 1 }]);
  });
});
