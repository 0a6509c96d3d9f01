import { parseArgs } from 'node:util';
import { API_KEY_SCOPES } from '@audit/contracts';
import { UsageError, type CliCommand } from '../command';
import { createApiKey, revokeApiKey } from '../admin/api-keys.store';
import { withDatabase } from '../admin/database';

const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

export const apikeyCommand: CliCommand = {
  name: 'apikey',
  summary: 'create or revoke an emitter API key (writes to Postgres, DATABASE_URL)',
  help: `usage:
  audit-ledger apikey create --tenant <tenant> [--sources a,b] [--types x,y] [--scopes approvals] [--description text]
  audit-ledger apikey revoke <keyId>

Creates an API key for one tenant, optionally limited to event sources (source.system) and types, and
prints its secret ONCE: only its SHA-256 is stored. --scopes approvals marks the key of an approval
system: its approval.granted events can count where a tenant's policy trusts that system (the scopes are
stamped into every event's provenance). Reads DATABASE_URL.

example:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/audit \\
    audit-ledger apikey create --tenant acme --sources github-actions,terraform --types plan.created,deployment.started
`,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: { tenant: { type: 'string' }, sources: { type: 'string' }, types: { type: 'string' }, scopes: { type: 'string' }, description: { type: 'string' } },
        strict: true,
      });
      if (!values.tenant) throw new UsageError('--tenant is required');
      const tenant = values.tenant;
      const scopes = list(values.scopes);
      const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')} (known: ${API_KEY_SCOPES.join(', ')})`);
      const key = await withDatabase(io.env, (pool) =>
        createApiKey(pool, { tenant, sources: list(values.sources), types: list(values.types), scopes, ...(values.description ? { description: values.description } : {}) }),
      );
      io.stdout(`keyId:  ${key.keyId}\ntenant: ${tenant}\napiKey: ${key.token}\n\nStore the apiKey now: it is not shown again (only its hash is kept).\n`);
      return 0;
    }
    if (action === 'revoke') {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true });
      const keyId = positionals[0];
      if (!keyId || positionals.length > 1) throw new UsageError('give exactly one key id');
      const revoked = await withDatabase(io.env, (pool) => revokeApiKey(pool, keyId));
      if (!revoked) {
        io.stderr(`no active API key ${keyId}\n`);
        return 1;
      }
      io.stdout(`revoked ${keyId} (services stop accepting it within their key cache time, 10 s by default)\n`);
      return 0;
    }
    throw new UsageError('expected "create" or "revoke"');
  },
};
