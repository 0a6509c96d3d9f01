import { AuditEventInput } from '@audit/contracts';
import { k8sEventList } from '../../../test/fixtures/fixtures';
import { mapK8sAuditEventList } from './k8s-audit.mapper';

function map(list: unknown) {
  const r = mapK8sAuditEventList(list, { environment: 'prod-eu' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  for (const e of r.events) expect(AuditEventInput.safeParse(e).error).toBeUndefined();
  return r.events;
}

describe('mapK8sAuditEventList on real audit events', () => {
  it('maps the audit.k8s.io/v1 Secret deletion without any Secret data', () => {
    const [e, ...rest] = map(k8sEventList('delete_secret.json'));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      type: 'k8s.request',
      occurredAt: '2020-04-21T17:58:49.696309Z',
      actor: { id: 'minikube-user', type: 'user' },
      resource: { kind: 'k8s.secrets', id: 'default/example-secret', environment: 'prod-eu' },
      outcome: 'succeeded',
      details: { verb: 'delete', namespace: 'default', responseCode: 200, user: { groups: ['system:masters', 'system:authenticated'] } },
    });
  });

  it('maps a ClusterRoleBinding creation (older shape) to k8s.request + access.granted with the role', () => {
    const events = map(k8sEventList('create_clusterrolebinding.json'));
    expect(events.map((e) => e.type)).toEqual(['k8s.request', 'access.granted']);
    expect(events[1]?.access).toEqual({ principal: 'User:minikube', role: 'clusterrole/system:basic-user', scope: 'cluster' });
  });

  it('never stores request or response objects', () => {
    const events = map(k8sEventList('create_deployment.json', 'create_clusterrolebinding.json', 'delete_secret.json'));
    expect(events).toHaveLength(4);
    const text = JSON.stringify(events);
    expect(text).not.toMatch(/requestObject|responseObject|nginx1|imagePullPolicy|resourceVersion/);
  });

  it('skips non-final stages and refuses what it cannot read, naming the item', () => {
    const [item] = k8sEventList('delete_secret.json').items as Record<string, unknown>[];
    expect(map({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', items: [{ ...item, stage: 'RequestReceived' }] })).toEqual([]);
    const bad = mapK8sAuditEventList({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', items: [item, { verb: 'get' }] }, { environment: 'prod' });
    expect(!bad.ok && bad.issues[0]?.path).toMatch(/^items\.1\./);
    expect(mapK8sAuditEventList({ kind: 'Event' }, { environment: 'prod' }).ok).toBe(false);
  });
});
