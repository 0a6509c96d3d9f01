import { githubAssertionKey } from './github-assertion-key';

describe('githubAssertionKey', () => {
  const review = { action: 'submitted', review: { id: 42, state: 'APPROVED', submitted_at: '2026-11-25T10:00:00Z', commit_id: 'a'.repeat(40), user: { login: 'erin' } } };

  it('names a review by id, state and submission time, whatever the delivery', () => {
    const a = githubAssertionKey('pull_request_review', review, 'd-1');
    expect(a).toEqual({ key: 'github:pull_request_review:42:approved:2026-11-25T10:00:00Z', byContent: true });
    expect(githubAssertionKey('pull_request_review', review, 'd-2')).toEqual(a);
    expect(githubAssertionKey('pull_request_review', { ...review, review: { ...review.review, state: 'dismissed' } }, 'd-3').key).not.toBe(a.key);
  });

  it('names a deployment status by its id and a workflow run by id, attempt and status', () => {
    expect(githubAssertionKey('deployment_status', { deployment_status: { id: 9 } }, 'd').key).toBe('github:deployment_status:9');
    const run = { workflow_run: { id: 5, run_attempt: 2, status: 'completed', conclusion: 'success' } };
    expect(githubAssertionKey('workflow_run', run, 'd').key).toBe('github:workflow_run:5:2:completed:success');
    expect(githubAssertionKey('workflow_run', { workflow_run: { ...run.workflow_run, run_attempt: 3 } }, 'd').key).toBe('github:workflow_run:5:3:completed:success');
  });

  it('falls back to the delivery id for what it cannot read', () => {
    expect(githubAssertionKey('ping', {}, 'd-9')).toEqual({ key: 'github:d-9', byContent: false });
    expect(githubAssertionKey('pull_request_review', { review: {} }, 'd-9')).toEqual({ key: 'github:d-9', byContent: false });
  });
});
