import { z } from 'zod';
import { toFieldIssues, type AuditEventInput } from '@audit/contracts';
import { toSlug, type AdapterResult } from '../adapter.common';

// Only the fields we read; GitHub adds fields over time, so these objects are loose on purpose.
const User = z.looseObject({ login: z.string(), type: z.string().optional() });
const Repository = z.looseObject({ full_name: z.string(), html_url: z.string().optional() });
const Deployment = z.looseObject({
  id: z.number(),
  sha: z.string(),
  ref: z.string(),
  task: z.string().optional(),
  environment: z.string(),
  creator: User.nullable().optional(),
  created_at: z.string(),
  payload: z.unknown().optional(),
});

const DeploymentEvent = z.looseObject({ action: z.string(), deployment: Deployment, repository: Repository, sender: User });
const DeploymentStatusEvent = z.looseObject({
  action: z.string(),
  deployment: Deployment,
  deployment_status: z.looseObject({ id: z.number(), state: z.string(), created_at: z.string(), target_url: z.string().nullable().optional(), description: z.string().nullable().optional(), creator: User.nullable().optional() }),
  repository: Repository,
  sender: User,
});
const WorkflowRunEvent = z.looseObject({
  action: z.string(),
  workflow_run: z.looseObject({
    id: z.number(),
    name: z.string().nullable().optional(),
    workflow_id: z.number().optional(),
    head_sha: z.string(),
    head_branch: z.string().nullable().optional(),
    conclusion: z.string().nullable().optional(),
    event: z.string().optional(),
    updated_at: z.string(),
    html_url: z.string().optional(),
    run_number: z.number().optional(),
    actor: User.optional(),
  }),
  repository: Repository,
  sender: User,
});
const PullRequestReviewEvent = z.looseObject({
  action: z.string(),
  review: z.looseObject({ id: z.number(), state: z.string(), submitted_at: z.string(), commit_id: z.string(), html_url: z.string().optional(), user: User }),
  pull_request: z.looseObject({ number: z.number(), title: z.string().optional() }),
  repository: Repository,
  sender: User,
});

export const GITHUB_EVENTS = ['deployment', 'deployment_status', 'workflow_run', 'pull_request_review'] as const;

const actorOf = (u: z.infer<typeof User>) => ({ id: u.login, type: u.type === 'User' ? ('user' as const) : ('service' as const) });
const source = (url?: string | null, runId?: string) => ({ system: 'github', ...(url ? { url } : {}), ...(runId ? { runId } : {}) });

/**
 * GitHub deployments carry no artifact digest; emitters that know it put it in the deployment payload
 * (`{"artifact_digest": "sha256:…", "change_id": "…"}`), and then we map to deployment.* events. Without
 * it a deployment is a change request and its statuses are recorded as workflow outcomes, never with an
 * invented digest.
 */
function deploymentHints(payload: unknown): { digest?: string; changeId?: string } {
  if (typeof payload !== 'object' || payload === null) return {};
  const p = payload as Record<string, unknown>;
  const digest = typeof p.artifact_digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(p.artifact_digest) ? p.artifact_digest : undefined;
  const changeId = typeof p.change_id === 'string' && p.change_id.length > 0 && p.change_id.length <= 128 ? p.change_id : undefined;
  return { ...(digest ? { digest } : {}), ...(changeId ? { changeId } : {}) };
}

const STATUS_OUTCOME: Record<string, 'succeeded' | 'failed' | 'cancelled'> = { success: 'succeeded', failure: 'failed', error: 'failed' };
const RUN_OUTCOME: Record<string, 'succeeded' | 'failed' | 'cancelled' | 'unknown'> = {
  success: 'succeeded',
  failure: 'failed',
  timed_out: 'failed',
  startup_failure: 'failed',
  cancelled: 'cancelled',
};
const REVIEW_OUTCOME: Record<string, 'allowed' | 'rejected' | 'unknown'> = { approved: 'allowed', changes_requested: 'rejected' };

function parse<T>(schema: z.ZodType<T>, payload: unknown): { ok: true; value: T } | { ok: false; result: AdapterResult } {
  const r = schema.safeParse(payload);
  return r.success ? { ok: true, value: r.data } : { ok: false, result: { ok: false, issues: toFieldIssues(r.error) } };
}

/** Maps one GitHub webhook delivery to canonical events (none for actions we do not record). */
export function mapGithubWebhook(eventName: string, payload: unknown): AdapterResult {
  switch (eventName) {
    case 'deployment': {
      const p = parse(DeploymentEvent, payload);
      if (!p.ok) return p.result;
      const { deployment: d, repository: repo } = p.value;
      if (p.value.action !== 'created') return { ok: true, events: [] };
      const hints = deploymentHints(d.payload);
      const base = {
        occurredAt: d.created_at,
        actor: actorOf(d.creator ?? p.value.sender),
        resource: { kind: 'github.repository', id: repo.full_name, environment: toSlug(d.environment) },
        changeId: hints.changeId ?? `github:${repo.full_name}:deployment:${d.id}`,
        commit: { repo: repo.full_name, sha: d.sha },
        source: source(repo.html_url, String(d.id)),
        details: { githubEvent: 'deployment', deploymentId: d.id, ref: d.ref, task: d.task ?? null, environment: d.environment },
      };
      const event: AuditEventInput = hints.digest
        ? { ...base, type: 'deployment.started', artifact: { digest: hints.digest, kind: 'git-deployment' } }
        : { ...base, type: 'change.requested' };
      return { ok: true, events: [event] };
    }
    case 'deployment_status': {
      const p = parse(DeploymentStatusEvent, payload);
      if (!p.ok) return p.result;
      const { deployment: d, deployment_status: s, repository: repo } = p.value;
      const outcome = STATUS_OUTCOME[s.state];
      // pending/queued/in_progress/inactive are progress notes, not outcomes: not recorded.
      if (p.value.action !== 'created' || outcome === undefined) return { ok: true, events: [] };
      const hints = deploymentHints(d.payload);
      const changeId = hints.changeId ?? `github:${repo.full_name}:deployment:${d.id}`;
      const base = {
        occurredAt: s.created_at,
        actor: actorOf(s.creator ?? p.value.sender),
        resource: { kind: 'github.repository', id: repo.full_name, environment: toSlug(d.environment) },
        changeId,
        commit: { repo: repo.full_name, sha: d.sha },
        source: source(s.target_url || repo.html_url, String(d.id)),
        outcome,
        details: { githubEvent: 'deployment_status', deploymentId: d.id, statusId: s.id, state: s.state, ref: d.ref, description: s.description ?? null },
      };
      let event: AuditEventInput;
      if (outcome === 'failed') event = { ...base, type: 'deployment.failed' };
      else if (hints.digest) event = { ...base, type: 'deployment.succeeded', artifact: { digest: hints.digest, kind: 'git-deployment' } };
      else event = { ...base, type: 'workflow.completed' };
      return { ok: true, events: [event] };
    }
    case 'workflow_run': {
      const p = parse(WorkflowRunEvent, payload);
      if (!p.ok) return p.result;
      const { workflow_run: run, repository: repo } = p.value;
      if (p.value.action !== 'completed') return { ok: true, events: [] };
      const workflow = run.name || (run.workflow_id !== undefined ? `workflow-${run.workflow_id}` : 'workflow');
      return {
        ok: true,
        events: [
          {
            type: 'workflow.completed',
            occurredAt: run.updated_at,
            actor: actorOf(run.actor ?? p.value.sender),
            resource: { kind: 'github.workflow', id: `${repo.full_name}/${workflow}`, environment: 'ci' },
            commit: { repo: repo.full_name, sha: run.head_sha },
            source: { ...source(run.html_url, String(run.id)), pipeline: workflow },
            outcome: RUN_OUTCOME[run.conclusion ?? ''] ?? 'unknown',
            details: { githubEvent: 'workflow_run', runId: run.id, runNumber: run.run_number ?? null, branch: run.head_branch ?? null, trigger: run.event ?? null, conclusion: run.conclusion ?? null },
          },
        ],
      };
    }
    case 'pull_request_review': {
      const p = parse(PullRequestReviewEvent, payload);
      if (!p.ok) return p.result;
      const { review, pull_request: pr, repository: repo } = p.value;
      if (p.value.action !== 'submitted') return { ok: true, events: [] };
      return {
        ok: true,
        events: [
          {
            type: 'review.submitted',
            occurredAt: review.submitted_at,
            actor: actorOf(review.user),
            resource: { kind: 'github.pull_request', id: `${repo.full_name}#${pr.number}`, environment: 'scm' },
            commit: { repo: repo.full_name, sha: review.commit_id },
            source: source(review.html_url),
            outcome: REVIEW_OUTCOME[review.state] ?? 'unknown',
            details: { githubEvent: 'pull_request_review', reviewId: review.id, state: review.state, pullRequest: pr.number },
          },
        ],
      };
    }
    default:
      return { ok: true, events: [] };
  }
}
