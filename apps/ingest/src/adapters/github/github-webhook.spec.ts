import { AuditEventInput } from '@audit/contracts';
import { fixtureJson } from '../../../test/fixtures/fixtures';
import { verifyGithubSignature } from './github-signature';
import { mapGithubWebhook } from './github-webhook.mapper';

const mapped = (event: string, payload: unknown) => {
  const r = mapGithubWebhook(event, payload);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  for (const e of r.events) expect(AuditEventInput.safeParse(e).error).toBeUndefined();
  return r.events;
};

describe('GitHub webhook signature', () => {
  it("passes GitHub's known-answer vector", () => {
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toBe(true);
  });
  it('refuses wrong, missing and malformed signatures', () => {
    const body = Buffer.from('Hello, World!');
    expect(verifyGithubSignature('other secret', body, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", Buffer.from('Hello, World?'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", body, undefined)).toBe(false);
    expect(verifyGithubSignature("It's a Secret to Everybody", body, 'sha1=abc')).toBe(false);
  });
});

describe('mapGithubWebhook on real payloads', () => {
  it('deployment → change.requested (no artifact digest known) with commit and environment', () => {
    const [e] = mapped('deployment', fixtureJson('github/deployment.created.json'));
    expect(e).toMatchObject({
      type: 'change.requested',
      occurredAt: '2019-05-15T15:20:53Z',
      actor: { id: 'Codertocat', type: 'user' },
      resource: { kind: 'github.repository', id: 'Codertocat/Hello-World', environment: 'production' },
      changeId: 'github:Codertocat/Hello-World:deployment:145988746',
      commit: { repo: 'Codertocat/Hello-World', sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' },
    });
  });

  it('deployment with an artifact digest in its payload → deployment.started', () => {
    const payload = fixtureJson('github/deployment.created.json') as { deployment: Record<string, unknown> };
    payload.deployment.payload = { artifact_digest: `sha256:${'a'.repeat(64)}`, change_id: 'CHG-7' };
    const [e] = mapped('deployment', payload);
    expect(e).toMatchObject({ type: 'deployment.started', changeId: 'CHG-7', artifact: { digest: `sha256:${'a'.repeat(64)}` } });
  });

  it('deployment_status success → workflow.completed (succeeded) on the same change', () => {
    const [e] = mapped('deployment_status', fixtureJson('github/deployment_status.created.json'));
    expect(e).toMatchObject({ type: 'workflow.completed', outcome: 'succeeded', changeId: 'github:Codertocat/Hello-World:deployment:145988746', occurredAt: '2019-05-15T15:20:55Z' });
  });

  it('deployment_status failure → deployment.failed', () => {
    const payload = fixtureJson('github/deployment_status.created.json') as { deployment_status: Record<string, unknown> };
    payload.deployment_status.state = 'failure';
    expect(mapped('deployment_status', payload)[0]).toMatchObject({ type: 'deployment.failed', outcome: 'failed' });
    payload.deployment_status.state = 'in_progress';
    expect(mapped('deployment_status', payload)).toEqual([]);
  });

  it('workflow_run completed → workflow.completed', () => {
    const [e] = mapped('workflow_run', fixtureJson('github/workflow_run.completed.json'));
    expect(e).toMatchObject({ type: 'workflow.completed', outcome: 'succeeded', resource: { kind: 'github.workflow', environment: 'ci' }, commit: { sha: '3484a3fb816e0859fd6e1cea078d76385ff50625' } });
  });

  it('pull_request_review submitted → review.submitted', () => {
    const [e] = mapped('pull_request_review', fixtureJson('github/pull_request_review.submitted.json'));
    expect(e).toMatchObject({ type: 'review.submitted', outcome: 'unknown', resource: { id: 'Codertocat/Hello-World#2' }, details: { state: 'commented' } });
  });

  it('ignores other events and reports shape problems with paths', () => {
    expect(mapGithubWebhook('ping', {})).toEqual({ ok: true, events: [] });
    const r = mapGithubWebhook('deployment', { action: 'created' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['deployment', 'repository']));
  });
});
