import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UsageError, type CliCommand } from '../command';

const HELP = `usage:
  audit-ledger policy apply --file policy.yaml [--dry-run]

Publishes a new version of the tenant's approval policy (YAML or JSON; the format is documented in
apps/approval-policy/README.md). The service type-checks every CEL condition and the quorums; problems
are printed with the rule path and the position in the expression. --dry-run validates only.

environment:
  AUDIT_POLICY_URL     approval-policy base URL (default: AUDIT_GATE_URL)
  AUDIT_POLICY_TOKEN   a JWT with the admin role for the tenant

exit codes: 0 published (or valid), 1 refused, 2 usage.

example:
  audit-ledger policy apply --file policies/acme.yaml
`;

export const policyCommand: CliCommand = {
  name: 'policy',
  summary: 'publish (or --dry-run validate) a new approval policy version from a YAML/JSON file',
  help: HELP,
  async run(args, io) {
    const [action, ...rest] = args;
    if (action !== 'apply') throw new UsageError('expected "apply"');
    const { values } = parseArgs({ args: rest, strict: true, options: { file: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
    const base = io.env.AUDIT_POLICY_URL ?? io.env.AUDIT_GATE_URL;
    const token = io.env.AUDIT_POLICY_TOKEN;
    if (!base) throw new UsageError('set AUDIT_POLICY_URL');
    if (!token) throw new UsageError('set AUDIT_POLICY_TOKEN');
    if (!values.file) throw new UsageError('--file is required');
    let document: unknown;
    try {
      // YAML is a superset of JSON: one parser for both.
      document = parseYaml(readFileSync(values.file, 'utf8'), { prettyErrors: true });
    } catch (error) {
      io.stderr(`policy: ${values.file} is not valid YAML/JSON: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const res = await fetch(`${base.replace(/\/+$/, '')}/v1/policies${values['dry-run'] ? '?dryRun=true' : ''}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(document),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status === 200 || res.status === 201) {
      const r = JSON.parse(text) as { version: number | null; digest: string; rules: string[] };
      io.stdout(values['dry-run'] ? `policy is valid (${r.rules.length} rules, ${r.digest})\n` : `published policy version ${r.version} (${r.rules.length} rules, ${r.digest})\n`);
      return 0;
    }
    let problem: { detail?: string; title?: string; errors?: { path: string; message: string }[] } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      problem = { detail: text };
    }
    io.stderr(`policy refused (HTTP ${res.status}): ${problem.detail ?? problem.title ?? ''}\n${(problem.errors ?? []).map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n`);
    return 1;
  },
};
