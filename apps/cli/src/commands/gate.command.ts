import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command';

const HELP = `usage:
  audit-ledger gate --change <changeId> --env <environment> --plan-digest sha256:<hex> [--artifact sha256:<hex>]

Asks the approval-policy gate whether this plan (and artifact) may be applied now. Prints the decision
and the reasons (rule, approvals counted, what is missing). Every call is recorded in the ledger as
policy.evaluated + gate.decided.

exit codes: 0 allow, 1 deny (or the gate could not be asked: a pipeline must not deploy then), 2 usage.

environment:
  AUDIT_GATE_URL     approval-policy base URL, e.g. https://approvals.audit.example.com
  AUDIT_GATE_TOKEN   a JWT for the pipeline's service principal (tenant in its claims)

example:
  audit-ledger gate --change CHG-1042 --env prod --plan-digest "sha256:$(sha256sum plan.bin | cut -d' ' -f1)"
`;

interface GateAnswer {
  decision: 'allow' | 'deny';
  state: string;
  rule: string | null;
  policyVersion: number | null;
  reasons: string[];
  approvals: { approver: string; countedFor: string }[];
  missing: ({ kind: string } & Record<string, unknown>)[];
  gateEventId: string;
}

function describeMissing(m: GateAnswer['missing'][number]): string {
  if (m.kind === 'approvals') return `${String(m.needed)} approval(s) from ${String(m.group)} (have ${String(m.have)})`;
  if (m.kind === 'breakglass.reviewed') return `break-glass review due by ${String(m.dueAt)}${m.overdue ? ' (OVERDUE)' : ''}`;
  return `a ${m.kind} event`;
}

export const gateCommand: CliCommand = {
  name: 'gate',
  summary: 'ask the deploy gate: exit 0 if this plan may be applied, 1 if not (prints why)',
  help: HELP,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { change: { type: 'string' }, env: { type: 'string' }, 'plan-digest': { type: 'string' }, artifact: { type: 'string' } },
    });
    const base = io.env.AUDIT_GATE_URL;
    const token = io.env.AUDIT_GATE_TOKEN;
    if (!base) throw new UsageError('set AUDIT_GATE_URL');
    if (!token) throw new UsageError('set AUDIT_GATE_TOKEN');
    if (!values.change || !values.env || !values['plan-digest']) throw new UsageError('--change, --env and --plan-digest are required');
    const body = { changeId: values.change, environment: values.env, planDigest: values['plan-digest'], ...(values.artifact ? { artifactDigest: values.artifact } : {}) };
    const res = await fetch(`${base.replace(/\/+$/, '')}/v1/gate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) {
      io.stderr(`gate: DENY (the gate answered HTTP ${res.status}; not deploying)\n${text}\n`);
      return 1;
    }
    const answer = JSON.parse(text) as GateAnswer;
    const lines = [
      `gate: ${answer.decision.toUpperCase()} change ${values.change} (${answer.state}; rule ${answer.rule ?? 'none'}, policy v${answer.policyVersion ?? '-'})`,
      ...answer.reasons.map((r) => `  reason:   ${r}`),
      ...answer.approvals.map((a) => `  approval: ${a.approver} as ${a.countedFor}`),
      ...answer.missing.map((m) => `  missing:  ${describeMissing(m)}`),
      `  recorded as ledger event ${answer.gateEventId}`,
    ];
    (answer.decision === 'allow' ? io.stdout : io.stderr)(`${lines.join('\n')}\n`);
    return answer.decision === 'allow' ? 0 : 1;
  },
};
