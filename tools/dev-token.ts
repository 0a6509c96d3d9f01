import { parseArgs } from 'node:util';
import { authEnv, mintDevToken, Principal } from '@audit/auth';
import { parseEnv } from '@audit/config';

// `npm run dev-token -- --tenant demo --role auditor [--groups sre,security] [--sub alice]`: a JWT signed
// with the development secret, for local use only (services accept it only with JWT_DEV_SECRET set, i.e.
// never when JWT_JWKS_URL points at a real identity provider).
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string', default: 'demo' },
      role: { type: 'string', default: 'auditor' },
      groups: { type: 'string', default: '' },
      sub: { type: 'string', default: 'dev-user' },
      hours: { type: 'string', default: '12' },
    },
  });
  const env = parseEnv(authEnv);
  const hours = Number(values.hours);
  // The services refuse a token that lives longer than JWT_MAX_LIFETIME_SEC: say so here, not at the first request.
  if (!Number.isFinite(hours) || hours <= 0 || hours * 3600 > env.JWT_MAX_LIFETIME_SEC) {
    throw new Error(`--hours must be a positive number of at most ${env.JWT_MAX_LIFETIME_SEC / 3600} (JWT_MAX_LIFETIME_SEC)`);
  }
  const principal = Principal.parse({
    sub: values.sub,
    tenant: values.tenant,
    roles: [values.role],
    groups: values.groups ? values.groups.split(',') : [],
  });
  const token = await mintDevToken(principal, {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    hmacSecret: env.JWT_DEV_SECRET,
    expiresInSec: hours * 3600,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev-token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
