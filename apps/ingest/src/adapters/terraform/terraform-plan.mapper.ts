import { createHash } from 'node:crypto';
import { z } from 'zod';
import { toFieldIssues, type AuditEventInput } from '@audit/contracts';
import { toSlug, type AdapterResult } from '../adapter.common';

// `terraform show -json` (format 0.1–1.x). Only actions and types are read: attribute values — sensitive
// or not — never leave this function, so nothing marked in before_/after_sensitive can be stored.
const ResourceChange = z.looseObject({
  type: z.string(),
  change: z.looseObject({ actions: z.array(z.string()) }),
});
const PlanDocument = z.looseObject({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  timestamp: z.string().optional(),
  resource_changes: z.array(ResourceChange).default([]),
  resource_drift: z.array(z.unknown()).default([]),
  errored: z.boolean().optional(),
});

export const TerraformPlanParams = z.strictObject({
  changeId: z.string().min(1).max(128),
  environment: z.string().min(1).max(64),
  workspace: z.string().min(1).max(256).default('default'),
  actorId: z.string().min(1).max(256).optional(),
  actorType: z.enum(['user', 'service', 'pipeline']).default('pipeline'),
  runId: z.string().min(1).max(256).optional(),
  url: z.string().max(2048).optional(),
});
export type TerraformPlanParams = z.output<typeof TerraformPlanParams>;

const IAM_TYPE = /^(aws_iam_|google_.*_iam_|azurerm_role_|azuread_|kubernetes_(cluster_)?role)/;
const SECURITY_GROUP_TYPE = /^(aws_security_group|aws_vpc_security_group_|aws_default_security_group|google_compute_firewall|azurerm_network_security_)/;

export interface PlanSummaryCounts {
  adds: number;
  changes: number;
  destroys: number;
  replacements: number;
  iamChanges: number;
  securityGroupChanges: number;
  drift: number;
  resourceTypes: string[];
}

/** Counts what a plan would do, from `resource_changes[].change.actions` and `resource_drift`. */
export function summarizePlan(plan: z.output<typeof PlanDocument>): PlanSummaryCounts {
  const summary: PlanSummaryCounts = { adds: 0, changes: 0, destroys: 0, replacements: 0, iamChanges: 0, securityGroupChanges: 0, drift: plan.resource_drift.length, resourceTypes: [] };
  const types = new Set<string>();
  for (const rc of plan.resource_changes) {
    const a = rc.change.actions;
    const has = (x: string) => a.includes(x);
    if (has('create') && has('delete')) summary.replacements++;
    else if (has('create')) summary.adds++;
    else if (has('delete')) summary.destroys++;
    else if (has('update')) summary.changes++;
    else continue; // no-op, read
    types.add(rc.type);
    if (IAM_TYPE.test(rc.type)) summary.iamChanges++;
    if (SECURITY_GROUP_TYPE.test(rc.type)) summary.securityGroupChanges++;
  }
  summary.resourceTypes = [...types].map((t) => toSlug(t, 128)).sort().slice(0, 256);
  return summary;
}

/** A plan document → one `plan.created`, bound to the SHA-256 of the exact bytes received. */
export function mapTerraformPlan(raw: Buffer, document: unknown, params: TerraformPlanParams, context: { keyId: string; receivedAt: Date }): AdapterResult {
  const parsed = PlanDocument.safeParse(document);
  if (!parsed.success) return { ok: false, issues: toFieldIssues(parsed.error).map((i) => ({ ...i, path: i.path ? `plan.${i.path}` : 'plan' })) };
  const plan = parsed.data;
  const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const occurredAt = plan.timestamp && !Number.isNaN(Date.parse(plan.timestamp)) ? plan.timestamp : context.receivedAt.toISOString();
  const event: AuditEventInput = {
    type: 'plan.created',
    occurredAt,
    actor: { id: params.actorId ?? `apikey:${context.keyId}`, type: params.actorType },
    resource: { kind: 'terraform.workspace', id: params.workspace, environment: toSlug(params.environment) },
    changeId: params.changeId,
    plan: { digest, summary: summarizePlan(plan) },
    source: { system: 'terraform', ...(params.runId ? { runId: params.runId } : {}), ...(params.url ? { url: params.url } : {}) },
    details: { formatVersion: plan.format_version, terraformVersion: plan.terraform_version ?? null, resourceChanges: plan.resource_changes.length, errored: plan.errored ?? false },
  };
  return { ok: true, events: [event] };
}
