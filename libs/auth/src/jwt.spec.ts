import { AuthError, JwtVerifier, jwtVerifierFromConfig, mintDevToken } from './jwt';
import { hasRole } from './claims';

const opts = { issuer: 'test-issuer', audience: 'audit', hmacSecret: 'x'.repeat(40) };

describe('JwtVerifier', () => {
  const verifier = new JwtVerifier(opts);

  it('accepts a valid token and returns the principal', async () => {
    const token = await mintDevToken({ sub: 'alice', tenant: 'acme', roles: ['auditor'], groups: ['sre'] }, opts);
    const p = await verifier.verify(`Bearer ${token}`);
    expect(p).toMatchObject({ sub: 'alice', tenant: 'acme', roles: ['auditor'], groups: ['sre'] });
    expect(hasRole(p, 'analyst')).toBe(true);
    expect(hasRole(p, 'admin')).toBe(false);
  });

  it.each([
    ['missing header', undefined, /missing bearer token/],
    ['garbage', 'Bearer abc', /invalid token/],
  ])('rejects %s with 401', async (_name, header, message) => {
    await expect(verifier.verify(header)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(message) });
  });

  it('rejects a wrong audience, a wrong issuer, a wrong key and an expired token', async () => {
    const principal = { sub: 'bob', tenant: 'acme', roles: [], groups: [] };
    const tokens = await Promise.all([
      mintDevToken(principal, { ...opts, audience: 'other' }),
      mintDevToken(principal, { ...opts, issuer: 'evil' }),
      mintDevToken(principal, { ...opts, hmacSecret: 'y'.repeat(40) }),
      mintDevToken(principal, { ...opts, expiresInSec: 1, now: new Date(Date.now() - 3_600_000) }),
    ]);
    for (const t of tokens) await expect(verifier.verify(`Bearer ${t}`)).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects tokens whose claims do not describe a principal', async () => {
    const token = await mintDevToken({ sub: 'eve', tenant: 'NOT A TENANT', roles: [], groups: [] } as never, opts);
    await expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({ message: expect.stringMatching(/tenant/) });
  });
});

describe('jwtVerifierFromConfig', () => {
  const base = { JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_DEV_SECRET: 'x'.repeat(40) };
  it('refuses the development secret in production', () => {
    expect(() => jwtVerifierFromConfig({ ...base, NODE_ENV: 'production' })).toThrow(/JWT_JWKS_URL is required in production/);
  });
  it('uses the JWKS in production and the dev secret elsewhere', () => {
    expect(jwtVerifierFromConfig({ ...base, NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example.com/jwks.json' })).toBeInstanceOf(JwtVerifier);
    expect(jwtVerifierFromConfig({ ...base, NODE_ENV: 'development' })).toBeInstanceOf(JwtVerifier);
  });
});
