import type { LegalHold } from '@audit/ledger-store';
import { expiredIndices } from './index-expiry';

const hold = (from: string | null, to: string | null, changeId: string | null = null): LegalHold => ({
  id: 'h', tenant: 'acme', changeId, actorId: null, from: from ? new Date(from) : null, to: to ? new Date(to) : null,
  reason: 'litigation', createdBy: 'admin', createdAt: new Date(0), releasedBy: null, releasedAt: null,
});

describe('expiredIndices', () => {
  const names = ['audit-events-acme_2025.01', 'audit-events-acme_2025.02', 'audit-events-acme_2025.12', 'audit-events-acme-2_2025.01', 'audit-events-other_2025.01', 'audit-events'];
  const now = new Date('2026-01-15T00:00:00Z');

  it('deletes only this tenant\'s months that ended before the longest retention', () => {
    expect(expiredIndices(names, 'audit-events', 'acme', now, 300, [])).toEqual(['audit-events-acme_2025.01', 'audit-events-acme_2025.02']);
    expect(expiredIndices(names, 'audit-events', 'acme', now, 340, [])).toEqual(['audit-events-acme_2025.01']);
  });

  it('keeps months an active hold reaches into, and everything under a hold without a time range', () => {
    expect(expiredIndices(names, 'audit-events', 'acme', now, 300, [hold('2025-01-20T00:00:00Z', '2025-01-21T00:00:00Z')])).toEqual(['audit-events-acme_2025.02']);
    expect(expiredIndices(names, 'audit-events', 'acme', now, 300, [hold(null, null, 'CHG-1')])).toEqual([]);
  });
});
