import { z } from 'zod';

/** JWT settings shared by the services that authenticate people (approval-policy, query). */
export const authEnv = {
  JWT_ISSUER: z.string().min(1).default('audit-ledger-dev'),
  JWT_AUDIENCE: z.string().min(1).default('audit-ledger'),
  /** Production: the identity provider's JWKS. */
  JWT_JWKS_URL: z.string().url().optional(),
  /** Local development only: shared HS256 secret (at least 32 characters). */
  JWT_DEV_SECRET: z.string().min(32, 'must be at least 32 characters').default('local-development-secret-change-me-0123456789'),
  /** Longest token lifetime (exp - iat) accepted, in seconds; tokens without exp or iat are refused. */
  JWT_MAX_LIFETIME_SEC: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600),
};
