import { createHash } from 'node:crypto';
import { AuditEventInput } from '@audit/contracts';
import { fixture } from '../../../test/fixtures/fixtures';
import { mapTerraformPlan, summarizePlan, TerraformPlanParams } from './terraform-plan.mapper';

const params = TerraformPlanParams.parse({ changeId: 'CHG-9', environment: 'prod' });
const context = { keyId: 'abc', receivedAt: new Date('2026-11-25T10:00:00Z') };

function map(raw: Buffer) {
  const r = mapTerraformPlan(raw, JSON.parse(raw.toString('utf8')), params, context);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const [event] = r.events;
  expect(AuditEventInput.safeParse(event).error).toBeUndefined();
  return event!;
}

describe('mapTerraformPlan on real plans', () => {
  it('binds the event to the SHA-256 of the exact bytes and summarizes the basic AWS plan', () => {
    const raw = fixture('terraform/plan_basic_aws.json');
    const e = map(raw);
    expect(e.plan?.digest).toBe(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    expect(e.plan?.summary).toMatchObject({ adds: 55, changes: 0, destroys: 0, replacements: 0, drift: 0 });
    expect(e.plan?.summary?.iamChanges).toBe(10);
    expect(e.plan?.summary?.securityGroupChanges).toBe(4);
    expect(e.plan?.summary?.resourceTypes).toContain('aws_iam_role');
    expect(e).toMatchObject({ type: 'plan.created', changeId: 'CHG-9', resource: { environment: 'prod' }, source: { system: 'terraform' } });
  });

  it('counts IAM changes in the IAM plan', () => {
    expect(map(fixture('terraform/plan_with_iam_policies.json')).plan?.summary).toMatchObject({ adds: 7, iamChanges: 7, securityGroupChanges: 0 });
  });

  it('never carries attribute values, sensitive or not', () => {
    const raw = fixture('terraform/plan_basic_aws.json');
    const text = JSON.stringify(map(raw));
    const doc = JSON.parse(raw.toString('utf8')) as { variables?: Record<string, { value: unknown }> };
    for (const v of Object.values(doc.variables ?? {})) if (typeof v.value === 'string' && v.value.length > 8) expect(text).not.toContain(v.value);
    const secretPlan = Buffer.from(JSON.stringify({
      format_version: '1.1',
      resource_changes: [{ type: 'aws_db_instance', change: { actions: ['update'], before: { password: 'hunter2-old' }, after: { password: 'hunter2-new' }, after_sensitive: { password: true } } }],
    }));
    expect(JSON.stringify(map(secretPlan))).not.toMatch(/hunter2/);
  });

  it('counts replacements, destroys, updates and drift', () => {
    const plan = { format_version: '1.1', resource_drift: [{}, {}], resource_changes: [
      { type: 'aws_instance', change: { actions: ['delete', 'create'] } },
      { type: 'aws_instance', change: { actions: ['create', 'delete'] } },
      { type: 'aws_s3_bucket', change: { actions: ['delete'] } },
      { type: 'aws_security_group_rule', change: { actions: ['update'] } },
      { type: 'aws_vpc', change: { actions: ['no-op'] } },
      { type: 'aws_ami', change: { actions: ['read'] } },
    ] };
    expect(summarizePlan(plan as never)).toEqual({ adds: 0, changes: 1, destroys: 1, replacements: 2, iamChanges: 0, securityGroupChanges: 1, drift: 2, resourceTypes: ['aws_instance', 'aws_s3_bucket', 'aws_security_group_rule'] });
  });

  it('refuses documents that are not plans', () => {
    const r = mapTerraformPlan(Buffer.from('{}'), {}, params, context);
    expect(!r.ok && r.issues[0]?.path).toBe('plan.format_version');
  });
});
