export interface QuorumNeed {
  group: string;
  count: number;
}

export interface QuorumCandidate {
  id: string;
  groups: readonly string[];
}

export interface QuorumResult {
  satisfied: boolean;
  /** Who counts towards which group: each person fills at most one seat. */
  assignment: { id: string; group: string }[];
  missing: { group: string; needed: number; have: number }[];
}

/**
 * Fills the seats of a quorum (`count` seats per group) with distinct people, each only in a group they
 * belong to, maximising filled seats (bipartite matching with augmenting paths). So someone in both
 * `sre` and `security` can never satisfy "1 sre AND 1 security" alone.
 */
export function fillQuorum(needs: readonly QuorumNeed[], candidates: readonly QuorumCandidate[]): QuorumResult {
  const seats = needs.flatMap((n) => Array.from({ length: Math.max(0, n.count) }, () => n.group));
  const seatOf = new Map<string, number>();
  const holder: (string | undefined)[] = seats.map(() => undefined);
  const groupsOf = new Map(candidates.map((c) => [c.id, new Set(c.groups)]));

  const tryAssign = (id: string, visited: Set<number>): boolean => {
    const groups = groupsOf.get(id);
    for (const [i, group] of seats.entries()) {
      if (visited.has(i) || !groups?.has(group)) continue;
      visited.add(i);
      const current = holder[i];
      if (current === undefined || tryAssign(current, visited)) {
        holder[i] = id;
        seatOf.set(id, i);
        return true;
      }
    }
    return false;
  };
  for (const c of candidates) if (!seatOf.has(c.id)) tryAssign(c.id, new Set());

  const assignment = holder.flatMap((id, i) => (id === undefined ? [] : [{ id, group: seats[i] as string }]));
  const missing = needs
    .map((n) => ({ group: n.group, needed: n.count, have: assignment.filter((a) => a.group === n.group).length }))
    .filter((m) => m.have < m.needed);
  return { satisfied: missing.length === 0, assignment, missing };
}
