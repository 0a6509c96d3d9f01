import { createHmac, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { aTenant, expectEventually } from '@audit/testing';
import { setWebhookSecret } from '../../cli/src/admin/api-keys.store';
import { fixture, k8sEventList } from './fixtures/fixtures';
import { aNamespace, anEmitter, brokers, createTopics, startApp, testConfig, testPool, TopicTap, type Emitter } from './support/ingest-harness';

describe('adapters on real samples (real Kafka and Postgres)', () => {
  const namespace = aNamespace('ingest-adapters');
  let app: NestFastifyApplication;
  let pool: Pool;
  let tap: TopicTap;
  let emitter: Emitter;

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    pool = testPool();
    app = await startApp(testConfig(namespace));
    tap = await TopicTap.start(brokers(), topicName('ingested', namespace));
    emitter = await anEmitter(pool);
  });
  afterAll(async () => {
    await tap?.stop();
    await app?.close();
    await pool?.end();
  });

  const published = (ids: string[]) => tap.json<AcceptedEvent>().filter((e) => ids.includes(e.id));

  describe('GitHub webhooks', () => {
    const tenant = aTenant('gh');
    const secret = `s-${randomUUID()}`;
    beforeAll(() => setWebhookSecret(pool, tenant, 'github', secret));

    const deliver = (event: string, body: Buffer, delivery = randomUUID(), signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`) =>
      app.inject({
        method: 'POST',
        url: `/v1/webhooks/github/${tenant}`,
        payload: body,
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': signature },
      });

    it.each([
      ['deployment', 'deployment.created.json', 'change.requested'],
      ['deployment_status', 'deployment_status.created.json', 'workflow.completed'],
      ['workflow_run', 'workflow_run.completed.json', 'workflow.completed'],
      ['pull_request_review', 'pull_request_review.submitted.json', 'review.submitted'],
    ])('%s (%s) → %s on the topic, for the tenant of the URL', async (event, file, type) => {
      const res = await deliver(event, fixture(`github/${file}`));
      expect(res.statusCode).toBe(202);
      const { ids } = res.json<{ ids: string[] }>();
      await expectEventually(() => expect(published(ids)).toHaveLength(1));
      expect(published(ids)[0]).toMatchObject({ type, tenant, source: { system: 'github' } });
    });

    it('a redelivery (same X-GitHub-Delivery) is recorded once: 200 duplicate', async () => {
      const body = fixture('github/workflow_run.completed.json');
      const delivery = randomUUID();
      const first = await deliver('workflow_run', body, delivery);
      const again = await deliver('workflow_run', body, delivery);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ ...first.json(), duplicate: true });
      const { ids } = first.json<{ ids: string[] }>();
      await expectEventually(() => expect(published(ids)).toHaveLength(1));
    });

    it('refuses a wrong or missing signature, or an unknown tenant, with 401', async () => {
      const body = fixture('github/deployment.created.json');
      expect((await deliver('deployment', body, randomUUID(), `sha256=${'0'.repeat(64)}`)).statusCode).toBe(401);
      expect((await deliver('deployment', body, randomUUID(), '')).statusCode).toBe(401);
      const tampered = Buffer.from(body.toString('utf8').replace('production', 'staging'));
      expect((await deliver('deployment', tampered, randomUUID(), `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`)).statusCode).toBe(401);
      const unknown = await app.inject({ method: 'POST', url: `/v1/webhooks/github/${aTenant()}`, payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` } });
      expect(unknown.statusCode).toBe(401);
    });
  });

  describe('Terraform plans', () => {
    const post = (body: Buffer, query = 'changeId=CHG-tf-1&environment=prod') =>
      app.inject({ method: 'POST', url: `/v1/adapters/terraform/plan?${query}`, payload: body, headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });

    it.each(['plan_basic_aws.json', 'plan_with_iam_policies.json'])('%s → plan.created with the digest of the bytes and a summary', async (file) => {
      const res = await post(fixture(`terraform/${file}`));
      expect(res.statusCode).toBe(202);
      const { ids } = res.json<{ ids: string[] }>();
      await expectEventually(() => expect(published(ids)).toHaveLength(1));
      const [event] = published(ids);
      expect(event).toMatchObject({ type: 'plan.created', tenant: emitter.tenant, changeId: 'CHG-tf-1' });
      expect(event?.plan?.summary?.iamChanges).toBeGreaterThan(0);
    });

    it('refuses a BOM, non-JSON and missing parameters with a clear 4xx', async () => {
      const bom = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture('terraform/plan_with_iam_policies.json')]));
      expect(bom.statusCode).toBe(400);
      expect(bom.json<{ detail: string }>().detail).toMatch(/byte-order mark/);
      expect((await post(Buffer.from('not json'))).statusCode).toBe(400);
      const noParams = await post(fixture('terraform/plan_with_iam_policies.json'), '');
      expect(noParams.statusCode).toBe(400);
      expect(noParams.json<{ errors: { path: string }[] }>().errors.map((e) => e.path)).toEqual(expect.arrayContaining(['query:changeId', 'query:environment']));
      expect((await post(Buffer.from('{"resource_changes":[]}'))).statusCode).toBe(422);
    });
  });

  describe('Kubernetes audit', () => {
    it('maps an EventList of the real samples: one k8s.request each, access.granted for the binding, no object data', async () => {
      const list = k8sEventList('create_deployment.json', 'create_clusterrolebinding.json', 'delete_secret.json');
      const res = await app.inject({ method: 'POST', url: '/v1/adapters/k8s/audit?environment=minikube', payload: JSON.stringify(list), headers: { 'content-type': 'application/json', 'x-api-key': emitter.token } });
      expect(res.statusCode).toBe(202);
      const { ids } = res.json<{ ids: string[] }>();
      expect(ids).toHaveLength(4);
      await expectEventually(() => expect(published(ids)).toHaveLength(4));
      const events = published(ids);
      expect(events.map((e) => e.type).sort()).toEqual(['access.granted', 'k8s.request', 'k8s.request', 'k8s.request']);
      expect(JSON.stringify(events)).not.toMatch(/requestObject|responseObject|nginx1/);
    });

    it('refuses a single Event (not an EventList) with 422', async () => {
      const [item] = k8sEventList('delete_secret.json').items;
      const res = await app.inject({ method: 'POST', url: '/v1/adapters/k8s/audit?environment=minikube', payload: JSON.stringify(item), headers: { 'content-type': 'application/json', 'x-api-key': emitter.token } });
      expect(res.statusCode).toBe(422);
    });
  });
});
