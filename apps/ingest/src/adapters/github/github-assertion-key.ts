import { z } from 'zod';

const Id = z.union([z.number().int(), z.string().min(1).max(64)]);
const Review = z.looseObject({ review: z.looseObject({ id: Id, state: z.string().max(64), submitted_at: z.string().max(64) }) });
const DeploymentStatus = z.looseObject({ deployment_status: z.looseObject({ id: Id }) });
const Deployment = z.looseObject({ deployment: z.looseObject({ id: Id }) });
const WorkflowRun = z.looseObject({
  workflow_run: z.looseObject({ id: Id, run_attempt: z.number().int().optional(), status: z.string().max(64).nullable().optional(), conclusion: z.string().max(64).nullable().optional() }),
});

/**
 * What a GitHub delivery asserts, as an idempotency key: a review by its id, state and submission time,
 * a deployment status by its id, a workflow run by its id, attempt and status. A delivery id names only
 * the HTTP request, so a captured signed payload re-posted with a new `X-GitHub-Delivery` would otherwise
 * be recorded (and counted) again. Falls back to the delivery id for payloads we cannot read this way.
 */
export function githubAssertionKey(eventName: string, payload: unknown, delivery: string): { key: string; byContent: boolean } {
  const content = contentKey(eventName, payload);
  return content ? { key: `github:${eventName}:${content}`, byContent: true } : { key: `github:${delivery}`, byContent: false };
}

function contentKey(eventName: string, payload: unknown): string | undefined {
  switch (eventName) {
    case 'pull_request_review': {
      const p = Review.safeParse(payload);
      return p.success ? `${p.data.review.id}:${p.data.review.state.toLowerCase()}:${p.data.review.submitted_at}` : undefined;
    }
    case 'deployment_status': {
      const p = DeploymentStatus.safeParse(payload);
      return p.success ? String(p.data.deployment_status.id) : undefined;
    }
    case 'deployment': {
      const p = Deployment.safeParse(payload);
      return p.success ? String(p.data.deployment.id) : undefined;
    }
    case 'workflow_run': {
      const p = WorkflowRun.safeParse(payload);
      if (!p.success) return undefined;
      const r = p.data.workflow_run;
      return `${r.id}:${r.run_attempt ?? 1}:${r.status ?? ''}:${r.conclusion ?? ''}`;
    }
    default:
      return undefined;
  }
}
