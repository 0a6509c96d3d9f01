import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command';
import { setWebhookSecret } from '../admin/api-keys.store';
import { withDatabase } from '../admin/database';

export const webhookSecretCommand: CliCommand = {
  name: 'webhook-secret',
  summary: "set a tenant's GitHub webhook secret (writes to Postgres, DATABASE_URL)",
  help: `usage:
  audit-ledger webhook-secret set --tenant <tenant> [--secret <secret>]

Sets (or rotates) the secret GitHub signs webhook deliveries with (X-Hub-Signature-256). Without
--secret a random one is generated and printed once; paste it into the webhook settings on GitHub and
point the webhook at  <ingest>/v1/webhooks/github/<tenant>  with content type application/json.

example:
  audit-ledger webhook-secret set --tenant acme
`,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'set') throw new UsageError('expected "set"');
    const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, secret: { type: 'string' } }, strict: true });
    if (!values.tenant) throw new UsageError('--tenant is required');
    const tenant = values.tenant;
    const secret = values.secret ?? randomBytes(32).toString('base64url');
    await withDatabase(io.env, (pool) => setWebhookSecret(pool, tenant, 'github', secret));
    io.stdout(values.secret ? `webhook secret set for ${tenant}\n` : `webhook secret for ${tenant}: ${secret}\n(shown once)\n`);
    return 0;
  },
};
