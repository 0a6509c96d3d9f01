import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';
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

describe('JwtVerifier time claims (issue 17)', () => {
  const verifier = new JwtVerifier({ ...opts, maxLifetimeSec: 24 * 3600 });
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: { iat?: number; exp?: number; nbf?: number }) => {
    let jwt = new SignJWT({ tenant: 'acme', roles: ['admin'], groups: [] }).setProtectedHeader({ alg: 'HS256' }).setIssuer(opts.issuer).setAudience(opts.audience).setSubject('mallory');
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
    if (claims.nbf !== undefined) jwt = jwt.setNotBefore(claims.nbf);
    return jwt.sign(createSecretKey(Buffer.from(opts.hmacSecret, 'utf8')));
  };
  const year = 365 * 24 * 3600;

  it.each([
    ['no exp (iat 10 years ago)', { iat: now - 10 * year }, /"exp"/],
    ['no exp, fresh iat', { iat: now }, /"exp"/],
    ['no iat', { exp: now + 600 }, /"iat"/],
    ['iat in the future', { iat: now + 600, exp: now + 1200 }, /"iat"/],
    ['nbf in the future', { iat: now, nbf: now + 600, exp: now + 1200 }, /"nbf"/],
    ['issued 10 years ago, expiring in an hour', { iat: now - 10 * year, exp: now + 3600 }, /"iat"|lifetime/],
    ['a lifetime longer than 24 h', { iat: now - 60, exp: now + 25 * 3600 }, /lifetime \(exp - iat\) exceeds 86400 s/],
  ])('refuses a token with %s (401)', async (_name, claims, message) => {
    await expect(verifier.verify(`Bearer ${await sign(claims)}`)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(message) });
  });

  it('accepts a token within the limits, a few seconds of skew included', async () => {
    await expect(verifier.verify(`Bearer ${await sign({ iat: now + 3, exp: now + 24 * 3600 })}`)).resolves.toMatchObject({ sub: 'mallory' });
    await expect(verifier.verify(`Bearer ${await sign({ iat: now - 3600, nbf: now - 10, exp: now + 3600 })}`)).resolves.toMatchObject({ sub: 'mallory' });
  });

  it('accepts what mintDevToken mints by default and for the console (8 h)', async () => {
    const principal = { sub: 'alice', tenant: 'acme', roles: [], groups: [] };
    for (const expiresInSec of [undefined, 8 * 3600]) {
      await expect(verifier.verify(`Bearer ${await mintDevToken(principal, { ...opts, ...(expiresInSec ? { expiresInSec } : {}) })}`)).resolves.toMatchObject({ sub: 'alice' });
    }
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
