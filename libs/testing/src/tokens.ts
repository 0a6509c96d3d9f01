import { createSecretKey } from 'node:crypto';
import { SignJWT } from 'jose';

/**
 * An HS256 token with whatever time claims a test asks for, including none: what an attacker holding the
 * dev secret (or a careless identity provider) could present. `mintDevToken` always sets sane ones.
 */
export function aTokenWithTimes(
  claims: { sub: string; tenant: string; roles: string[]; groups?: string[] },
  times: { iat?: number; exp?: number; nbf?: number },
  options: { issuer: string; audience: string; hmacSecret: string },
): Promise<string> {
  let jwt = new SignJWT({ groups: [], ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer(options.issuer).setAudience(options.audience).setSubject(claims.sub);
  if (times.iat !== undefined) jwt = jwt.setIssuedAt(times.iat);
  if (times.exp !== undefined) jwt = jwt.setExpirationTime(times.exp);
  if (times.nbf !== undefined) jwt = jwt.setNotBefore(times.nbf);
  return jwt.sign(createSecretKey(Buffer.from(options.hmacSecret, 'utf8')));
}
