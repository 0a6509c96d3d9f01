import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UsageError, type CliCommand } from '../command';

const HELP = `usage:
  audit-ledger rules apply --file rules.yaml [--dry-run]

Creates or updates the tenant's alert rules from a YAML (or JSON) file, the format of apps/query/README.md
("Alerting"): a map of rule id to definition under "rules:". Every rule is validated first (nothing is
written if one is invalid; problems are printed with the rule id and the field path); then each changed
rule becomes a new version. --dry-run validates only.

environment:
  AUDIT_QUERY_URL      query service base URL (e.g. http://127.0.0.1:3004)
  AUDIT_QUERY_TOKEN    a JWT with the admin role for the tenant

exit codes: 0 applied (or valid), 1 refused, 2 usage.

example (rules.yaml):
  rules:
    failed-deploys:
      type: frequency
      name: Burst of failed prod deployments
      filter: type:deployment.failed env:prod
      threshold: 5
      window: 10m
      groupBy: resource
      notify: [oncall]
`;

interface Problem {
  detail?: string;
  title?: string;
  errors?: { path: string; message: string }[];
}

export const rulesCommand: CliCommand = {
  name: 'rules',
  summary: 'create/update alert rules from a YAML/JSON file (validated first; --dry-run validates only)',
  help: HELP,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'apply') throw new UsageError('expected "apply"');
    const { values } = parseArgs({ args: rest, strict: true, options: { file: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
    const base = io.env.AUDIT_QUERY_URL?.replace(/\/+$/, '');
    const token = io.env.AUDIT_QUERY_TOKEN;
    if (!base) throw new UsageError('set AUDIT_QUERY_URL');
    if (!token) throw new UsageError('set AUDIT_QUERY_TOKEN');
    if (!values.file) throw new UsageError('--file is required');
    let document: unknown;
    try {
      document = parseYaml(readFileSync(values.file, 'utf8'), { prettyErrors: true });
    } catch (error) {
      io.stderr(`rules: ${values.file} is not valid YAML/JSON: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const rules = (document as { rules?: unknown } | null)?.rules;
    if (!rules || typeof rules !== 'object' || Array.isArray(rules)) {
      io.stderr(`rules: ${values.file} must have a "rules:" map of rule id to definition\n`);
      return 1;
    }
    const put = async (id: string, definition: unknown, dryRun: boolean) => {
      const res = await fetch(`${base}/v1/alert-rules/${encodeURIComponent(id)}${dryRun ? '?dryRun=true' : ''}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(definition),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let body: Problem & { change?: string; rule?: { version: number } } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = { detail: text };
      }
      return { status: res.status, body };
    };
    const entries = Object.entries(rules as Record<string, unknown>);
    let refused = 0;
    for (const [id, definition] of entries) {
      const r = await put(id, definition, true);
      if (r.status !== 200) {
        refused++;
        io.stderr(`${id}: refused (HTTP ${r.status}) ${r.body.detail ?? r.body.title ?? ''}\n${(r.body.errors ?? []).map((e) => `  ${id}.${e.path}: ${e.message}`).join('\n')}\n`);
      }
    }
    if (refused > 0) {
      io.stderr(`${refused} of ${entries.length} rules refused; nothing was applied\n`);
      return 1;
    }
    if (values['dry-run']) {
      io.stdout(`${entries.length} rules are valid\n`);
      return 0;
    }
    for (const [id, definition] of entries) {
      const r = await put(id, definition, false);
      if (r.status !== 200 && r.status !== 201) {
        io.stderr(`${id}: refused (HTTP ${r.status}) ${r.body.detail ?? r.body.title ?? ''}\n`);
        return 1;
      }
      io.stdout(`${id}: ${r.body.change}${r.body.rule ? ` (version ${r.body.rule.version})` : ''}\n`);
    }
    return 0;
  },
};
