import { randomBytes } from 'node:crypto';

/**
 * The service credential of a test or bench run: the environment's when it has one, else a fresh random
 * secret put there, so every service the run starts (in-process or as a child) shares it, as one
 * deployment's services do.
 */
export function ensureServiceCredential(env: NodeJS.ProcessEnv = process.env): string {
  env.SERVICE_CREDENTIAL_SECRET ??= randomBytes(32).toString('base64url');
  return env.SERVICE_CREDENTIAL_SECRET;
}
