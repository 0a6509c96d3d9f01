import { createHash } from 'node:crypto';
import type { AuditEventInput } from '@audit/contracts';

/**
 * Realistic traffic: change lifecycles (request → Terraform-like plan with a summary → approval →
 * deployment start → outcome), Kubernetes audit entries shaped like the ingest K8s adapter's output, and
 * some config/access changes. Sizes follow the fixtures in apps/ingest/test/fixtures: 0.4–2 KB per event.
 * Every event carries a marker in `source.runId` (`<run>:<n>`) so the bench can find it in the ledger.
 */
export class EventMix {
  private changes = 0;
  private readonly open: { id: string; step: number; planDigest: string; env: string; resource: string }[] = [];

  constructor(private readonly run: string) {}

  next(n: number, now: Date): AuditEventInput {
    const r = hash01(n);
    if (r < 0.3) return this.k8s(n, now);
    if (r < 0.38) return this.configOrAccess(n, now);
    return this.lifecycle(n, now);
  }

  static markerOf(runId: string | undefined): number | undefined {
    const i = runId?.lastIndexOf(':') ?? -1;
    return i >= 0 ? Number(runId!.slice(i + 1)) : undefined;
  }

  private marker(n: number): string {
    return `${this.run}:${n}`;
  }

  private lifecycle(n: number, now: Date): AuditEventInput {
    // Keep a handful of changes in flight, like many pipelines interleaving.
    if (this.open.length < 8 || hash01(n * 7) < 0.2) {
      const c = ++this.changes;
      this.open.push({ id: `CHG-${this.run}-${c}`, step: 0, planDigest: digest(`plan-${this.run}-${c}`), env: ENVS[c % ENVS.length]!, resource: `${KINDS[c % KINDS.length]!}.${NAMES[c % NAMES.length]!}-${c % 97}` });
    }
    const idx = Math.floor(hash01(n * 13) * this.open.length);
    const change = this.open[idx]!;
    const step = change.step++;
    if (change.step >= 5) this.open.splice(idx, 1);
    const actor = { id: `${NAMES[n % NAMES.length]!}@example.com`, type: 'user' as const, roles: ['developer'], teams: [TEAMS[n % TEAMS.length]!] };
    const base = {
      occurredAt: now.toISOString(),
      actor,
      resource: { kind: change.resource.split('.')[0]!, id: change.resource, environment: change.env, name: `${change.resource} in ${change.env}` },
      changeId: change.id,
      commit: { repo: 'github.com/acme/infrastructure', sha: digest(`commit-${change.id}`).slice(7, 47), author: actor.id },
      source: { system: 'github-actions', pipeline: 'terraform-apply', runId: this.marker(n), url: `https://github.com/acme/infrastructure/actions/runs/${9_000_000 + n}` },
    };
    switch (step) {
      case 0:
        return { type: 'change.requested', ...base, reason: `${WORDS[n % WORDS.length]!} ${WORDS[(n + 3) % WORDS.length]!} for ${change.resource}: ticket OPS-${n % 10_000}` };
      case 1: {
        const resourceTypes = KINDS.slice(0, 2 + (n % 4));
        return {
          type: 'plan.created',
          ...base,
          actor: { id: 'terraform-ci', type: 'pipeline', roles: [], teams: ['platform'] },
          plan: { digest: change.planDigest, summary: { adds: n % 5, changes: 1 + (n % 7), destroys: n % 11 === 0 ? 1 : 0, replacements: n % 13 === 0 ? 1 : 0, iamChanges: n % 3, securityGroupChanges: n % 2, drift: 0, resourceTypes } },
          details: {
            formatVersion: '1.2',
            terraformVersion: '1.9.5',
            resourceChanges: 12 + (n % 20),
            errored: false,
            addresses: Array.from({ length: 12 + (n % 20) }, (_, i) => `module.${NAMES[i % NAMES.length]!}.${KINDS[i % KINDS.length]!}.${WORDS[i % WORDS.length]!}[${i}]`),
          },
        };
      }
      case 2:
        return { type: 'approval.granted', ...base, actor: { id: `${NAMES[(n + 1) % NAMES.length]!}@example.com`, type: 'user', roles: ['approver', 'sre'], teams: ['platform'] }, plan: { digest: change.planDigest }, reason: 'reviewed plan and blast radius' };
      case 3:
        return { type: 'deployment.started', ...base, actor: { id: 'deploy-bot', type: 'pipeline', roles: ['deployer'], teams: ['platform'] }, artifact: { digest: digest(`artifact-${change.id}`), kind: 'terraform-plan', uri: `s3://acme-plans/${change.id}.tfplan` } };
      default:
        return n % 10 === 0
          ? { type: 'deployment.failed', ...base, actor: { id: 'deploy-bot', type: 'pipeline', roles: ['deployer'], teams: ['platform'] }, outcome: 'failed', reason: 'Error: creating RDS parameter group: InvalidParameterValue', details: { exitCode: 1, durationMs: 41_000 + n } }
          : { type: 'deployment.succeeded', ...base, actor: { id: 'deploy-bot', type: 'pipeline', roles: ['deployer'], teams: ['platform'] }, artifact: { digest: digest(`artifact-${change.id}`), kind: 'terraform-plan' }, outcome: 'succeeded', details: { durationMs: 30_000 + n } };
    }
  }

  private k8s(n: number, now: Date): AuditEventInput {
    const verb = VERBS[n % VERBS.length]!;
    const resource = K8S_RESOURCES[n % K8S_RESOURCES.length]!;
    const ns = NAMESPACES[n % NAMESPACES.length]!;
    const name = `${NAMES[n % NAMES.length]!}-${n % 50}`;
    const user = n % 3 === 0 ? 'system:serviceaccount:kube-system:deployment-controller' : `${NAMES[n % NAMES.length]!}@example.com`;
    const code = n % 17 === 0 ? 403 : verb === 'create' ? 201 : 200;
    return {
      type: 'k8s.request',
      occurredAt: now.toISOString(),
      actor: { id: user, type: user.startsWith('system:') ? 'service' : 'user', roles: [], teams: [] },
      resource: { kind: `k8s.${resource}`, id: `${ns}/${name}`, environment: n % 4 === 0 ? 'staging' : 'prod' },
      outcome: code === 403 ? 'denied' : 'succeeded',
      source: { system: 'kubernetes', runId: this.marker(n) },
      details: {
        verb,
        resource,
        subresource: null,
        apiGroup: resource === 'deployments' ? 'apps' : null,
        namespace: ns,
        name,
        user: { username: user, groups: ['system:authenticated', `team:${TEAMS[n % TEAMS.length]!}`] },
        impersonatedUser: null,
        responseCode: code,
        auditID: uuidLike(`${this.run}-${n}`),
        sourceIPs: [`10.${n % 250}.${(n >> 8) % 250}.${(n >> 16) % 250}`],
        userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
        decision: code === 403 ? 'forbid' : 'allow',
      },
    };
  }

  private configOrAccess(n: number, now: Date): AuditEventInput {
    const actor = { id: `${NAMES[n % NAMES.length]!}@example.com`, type: 'user' as const, roles: ['admin'], teams: [TEAMS[n % TEAMS.length]!] };
    if (n % 2 === 0) {
      return { type: 'access.granted', occurredAt: now.toISOString(), actor, resource: { kind: 'aws_iam_role', id: `arn:aws:iam::123456789012:role/${NAMES[n % NAMES.length]!}-deployer`, environment: 'prod' }, access: { principal: `group:${TEAMS[n % TEAMS.length]!}`, role: 'deployer', scope: 'account:123456789012' }, source: { system: 'iam-portal', runId: this.marker(n) }, reason: 'quarterly access review' };
    }
    return { type: 'config.changed', occurredAt: now.toISOString(), actor, resource: { kind: 'feature-flag', id: `flags/${WORDS[n % WORDS.length]!}`, environment: ENVS[n % ENVS.length]! }, source: { system: 'flagd', runId: this.marker(n) }, details: { from: { enabled: false, rollout: 0 }, to: { enabled: true, rollout: n % 100 } } };
  }
}

const ENVS = ['prod', 'staging', 'dev'];
const KINDS = ['aws_db_instance', 'aws_iam_role', 'aws_security_group', 'aws_s3_bucket', 'aws_lambda_function', 'kubernetes_deployment'];
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const TEAMS = ['payments', 'platform', 'search', 'identity'];
const WORDS = ['raise', 'connection', 'pool', 'rotate', 'credentials', 'scale', 'replicas', 'rollback', 'hotfix', 'migrate', 'schema', 'upgrade'];
const VERBS = ['get', 'list', 'patch', 'create', 'update', 'delete', 'watch'];
const K8S_RESOURCES = ['deployments', 'secrets', 'configmaps', 'pods', 'rolebindings', 'services'];
const NAMESPACES = ['payments', 'checkout', 'kube-system', 'search', 'identity'];

/** Deterministic [0,1) from an integer, so two runs send the same mix. */
function hash01(n: number): number {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}

function digest(s: string): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

function uuidLike(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
