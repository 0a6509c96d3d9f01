import { z } from 'zod';
import { mintDevToken, ROLES } from '@audit/auth';
import { tenantId } from '@audit/contracts';

export const DevLoginBody = z.strictObject({ tenant: tenantId, role: z.enum(ROLES) });

export interface DevLoginOptions {
  issuer: string;
  audience: string;
  hmacSecret: string;
  now: () => Date;
}

/**
 * `POST /dev-login {tenant, role}`: a token for the chosen tenant and role, signed with the services'
 * development secret. Only for local development: the server never mounts it when NODE_ENV=production,
 * where tokens come from the organisation's identity provider.
 */
export async function devLogin(body: unknown, options: DevLoginOptions): Promise<{ status: 200; body: { token: string; expiresInSec: number } } | { status: 400; body: object }> {
  const parsed = DevLoginBody.safeParse(body);
  if (!parsed.success) {
    return {
      status: 400,
      body: {
        type: 'about:blank',
        title: 'invalid dev-login body',
        status: 400,
        errors: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
      },
    };
  }
  const { tenant, role } = parsed.data;
  const expiresInSec = 8 * 3600;
  const token = await mintDevToken(
    { sub: `dev-${role}@${tenant}`, tenant, roles: [role], groups: [], name: `Dev ${role}` },
    { issuer: options.issuer, audience: options.audience, hmacSecret: options.hmacSecret, expiresInSec, now: options.now() },
  );
  return { status: 200, body: { token, expiresInSec } };
}
