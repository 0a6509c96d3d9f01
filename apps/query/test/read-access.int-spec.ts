import { mintDevToken, type Role } from '@audit/auth';
import { aTenant, aTokenWithTimes, expectEventually } from '@audit/testing';
import { PERMISSIONS } from '../src/auth/read-access';
import { QueryHarness } from './support/query-harness';

/**
 * The role × endpoint matrix, cell by cell: every endpoint with no token, a bad token, no role, and each
 * role. The expected cell comes from the documented table below, not from the code under test.
 */
const MATRIX: Record<string, { url: string; none: number; viewer: number; analyst: number; auditor: number; admin: number }> = {
  'list changes': { url: '/v1/changes', none: 403, viewer: 200, analyst: 200, auditor: 200, admin: 200 },
  search: { url: '/v1/search?q=env:prod', none: 403, viewer: 200, analyst: 200, auditor: 200, admin: 200 },
  'change story': { url: '/v1/changes/CHG-M', none: 403, viewer: 403, analyst: 200, auditor: 200, admin: 200 },
  'projection status': { url: '/v1/projections/status', none: 403, viewer: 403, analyst: 403, auditor: 200, admin: 200 },
};
const ROLES: Role[] = ['viewer', 'analyst', 'auditor', 'admin'];

describe('who may read what (role × endpoint)', () => {
  const h = new QueryHarness();
  const tenant = aTenant('ra');

  beforeAll(async () => {
    await h.start();
    await h.commit(tenant, { type: 'change.requested', changeId: 'CHG-M', details: { ticket: 'OPS-1' } });
    const token = await h.token(tenant, ['analyst']);
    await expectEventually(async () => {
      expect((await h.get('/v1/changes/CHG-M', token)).status).toBe(200);
      expect((await h.get('/v1/search', token)).body.hits).toHaveLength(1);
    }, { timeoutMs: 45_000, intervalMs: 500 });
  });
  afterAll(() => h.stop());

  it('documents the same least roles as the code', () => {
    expect(PERMISSIONS).toEqual({ 'changes.list': 'viewer', 'events.search': 'viewer', 'events.details': 'analyst', 'changes.story': 'analyst', 'projections.verify': 'auditor' });
  });

  for (const [name, cell] of Object.entries(MATRIX)) {
    describe(name, () => {
      it('401 without a token or with a bad one', async () => {
        const none = await h.get(cell.url);
        expect(none.status).toBe(401);
        expect(none.contentType).toContain('application/problem+json');
        const forged = await mintDevToken({ sub: 'eve', tenant, roles: ['admin'], groups: [] }, { issuer: h.config.JWT_ISSUER, audience: h.config.JWT_AUDIENCE, hmacSecret: 'z'.repeat(40) });
        expect((await h.get(cell.url, forged)).status).toBe(401);
      });
      it('401 for a token without exp, issued 10 years ago, or living longer than the maximum (issue 17)', async () => {
        const now = Math.floor(Date.now() / 1000);
        const opts = { issuer: h.config.JWT_ISSUER, audience: h.config.JWT_AUDIENCE, hmacSecret: h.config.JWT_DEV_SECRET };
        const who = { sub: 'mallory', tenant, roles: ['admin'] };
        for (const times of [{ iat: now - 10 * 365 * 86_400 }, { iat: now - 10 * 365 * 86_400, exp: now + 3600 }, { iat: now, exp: now + 30 * 86_400 }, { iat: now + 3600, exp: now + 7200 }]) {
          const res = await h.get(cell.url, await aTokenWithTimes(who, times, opts));
          expect([times, res.status]).toEqual([times, 401]);
        }
      });
      it(`${cell.none} with no role`, async () => {
        expect((await h.get(cell.url, await h.token(tenant, []))).status).toBe(cell.none);
      });
      for (const role of ROLES) {
        it(`${cell[role]} for ${role}`, async () => {
          const res = await h.get(cell.url, await h.token(tenant, [role]));
          expect(res.status).toBe(cell[role]);
          if (res.status === 403) expect(res.body.type).toMatch(/forbidden$/);
        });
      }
    });
  }

  it('shows details from analyst up only', async () => {
    for (const role of ROLES) {
      const hit = (await h.get('/v1/search', await h.token(tenant, [role]))).body.hits[0];
      if (role === 'viewer') expect(hit).not.toHaveProperty('details');
      else expect(hit.details).toEqual({ ticket: 'OPS-1' });
    }
  });
});
