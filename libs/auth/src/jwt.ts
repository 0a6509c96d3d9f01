import { createSecretKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { Principal } from './claims';

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  /** Either a JWKS URL of the identity provider (production) or a shared HS256 secret (local/dev). */
  jwksUrl?: string;
  hmacSecret?: string;
  clockToleranceSec?: number;
  /** Longest lifetime (`exp - iat`) a token may have; also the oldest `iat` accepted. Default 24 h. */
  maxLifetimeSec?: number;
}

/** Default of JWT_MAX_LIFETIME_SEC: a stolen token is worth a day at most. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SEC = 24 * 3600;

/**
 * Verifies bearer tokens and returns the caller's principal: signature, issuer, audience, and time —
 * `exp` and `iat` are required (a token without `exp` would be valid forever), `iat` may not lie in the
 * future beyond the clock tolerance, `nbf` is honoured, and `exp - iat` may not exceed the maximum
 * lifetime (an identity provider or a dev tool minting year-long tokens is refused, not trusted).
 */
export class JwtVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;

  constructor(private readonly options: JwtVerifierOptions) {
    if (options.jwksUrl) this.key = createRemoteJWKSet(new URL(options.jwksUrl));
    else if (options.hmacSecret) this.key = createSecretKey(Buffer.from(options.hmacSecret, 'utf8'));
    else throw new Error('JwtVerifier needs jwksUrl or hmacSecret');
  }

  async verify(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization ?? '');
    if (!match?.[1]) throw new AuthError(401, 'missing bearer token (Authorization: Bearer <jwt>)');
    try {
      const tolerance = this.options.clockToleranceSec ?? 5;
      const maxLifetime = this.options.maxLifetimeSec ?? DEFAULT_MAX_TOKEN_LIFETIME_SEC;
      const { payload } = await jwtVerify(match[1], this.key as KeyObject, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: tolerance,
        algorithms: this.options.jwksUrl ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
        requiredClaims: ['exp', 'iat'],
        // Also refuses an `iat` in the future (beyond the tolerance).
        maxTokenAge: maxLifetime,
      });
      if (payload.exp! - payload.iat! > maxLifetime) throw new AuthError(401, `invalid token: lifetime (exp - iat) exceeds ${maxLifetime} s`);
      const principal = Principal.safeParse(payload);
      if (!principal.success) {
        throw new AuthError(401, `token claims invalid: ${principal.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      return principal.data;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      // jose's claim messages name the claim and the check, never the token's content.
      if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) throw new AuthError(401, `invalid token: ${error.message}`);
      if (error instanceof errors.JOSEError) throw new AuthError(401, `invalid token: ${error.code}`);
      throw error;
    }
  }
}

/** Mints an HS256 token: for local development (console dev login) and tests only. */
export async function mintDevToken(
  principal: Principal,
  options: { issuer: string; audience: string; hmacSecret: string; expiresInSec?: number; now?: Date },
): Promise<string> {
  const nowSec = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ ...principal })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(principal.sub)
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + (options.expiresInSec ?? 3600))
    .sign(createSecretKey(Buffer.from(options.hmacSecret, 'utf8')));
}

/**
 * The verifier a service's config asks for: the identity provider's JWKS when `JWT_JWKS_URL` is set;
 * otherwise the development HS256 secret — which production refuses, since that secret is public.
 */
export function jwtVerifierFromConfig(config: {
  NODE_ENV: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  JWT_JWKS_URL?: string | undefined;
  JWT_DEV_SECRET: string;
  JWT_MAX_LIFETIME_SEC?: number;
}): JwtVerifier {
  const common = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeSec: config.JWT_MAX_LIFETIME_SEC ?? DEFAULT_MAX_TOKEN_LIFETIME_SEC };
  if (config.JWT_JWKS_URL) return new JwtVerifier({ ...common, jwksUrl: config.JWT_JWKS_URL });
  if (config.NODE_ENV === 'production') throw new Error('JWT_JWKS_URL is required in production (the development JWT secret is not a secret)');
  return new JwtVerifier({ ...common, hmacSecret: config.JWT_DEV_SECRET });
}
