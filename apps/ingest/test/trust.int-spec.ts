import { createHmac, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { mintDevToken } from '@audit/auth';
import { AcceptedEvent, serviceProvenance, topicName, uuidv7, type AuditEventInput } from '@audit/contracts';
import { serviceSignedMessage } from '@audit/ledger-core';
import { aDigest, anEventInput, aTenant, bootService, expectEventually } from '@audit/testing';
import { AppModule as ApprovalPolicyModule } from '../../approval-policy/src/app.module';
import { ApprovalPolicyEnv } from '../../approval-policy/src/config';
import { ChangeViewRepository } from '../../approval-policy/src/ledger-view/change-view.repository';
import { setWebhookSecret } from '../../cli/src/admin/api-keys.store';
import { LedgerHarness } from '../../ledger/test/ledger-harness';
import { fixture } from './fixtures/fixtures';
import { anEmitter, brokers, startApp, testConfig, TopicTap, type Emitter } from './support/ingest-harness';

const JWT = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };

/**
 * Issue 15, black box on the real stack: ingest, the ledger and approval-policy in-process on one topic
 * namespace, over the real Kafka and Postgres. Each attack goes through a public door (HTTP API, webhook,
 * the Kafka topic itself) and is judged by what the ledger committed.
 */
describe('trust: every record says who asserted it, and only the system asserts its own decisions', () => {
  const ledger = new LedgerHarness();
  let ingest: NestFastifyApplication;
  let approvals: NestFastifyApplication;
  let dlq: TopicTap;
  let producer: Producer | undefined;

  beforeAll(async () => {
    await ledger.start();
    ingest = await startApp(testConfig(ledger.namespace, { INTAKE_ENABLED: 'true' }));
    approvals = await bootService(
      { service: 'approval-policy', env: ApprovalPolicyEnv, module: (config, logger) => ApprovalPolicyModule.forRoot(config, logger), uses: { postgres: true, kafka: true } },
      { KAFKA_TOPIC_NAMESPACE: ledger.namespace, OVERDUE_SWEEP_INTERVAL_MS: '0' },
    );
    dlq = await TopicTap.start(brokers(), topicName('dlq', ledger.namespace));
  }, 180_000);
  afterAll(async () => {
    await producer?.disconnect();
    await dlq?.stop();
    await approvals?.close();
    await ingest?.close();
    await ledger.close();
  });

  const post = (emitter: Emitter, url: string, payload: unknown) =>
    ingest.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });

  /** What the ledger committed for a tenant, as hashed. */
  async function committed(tenant: string): Promise<AcceptedEvent[]> {
    const { rows } = await ledger.pool.query<{ canonical: string }>('SELECT canonical FROM ledger.records WHERE tenant = $1 ORDER BY seq', [tenant]);
    return rows.map((r) => JSON.parse(r.canonical) as AcceptedEvent);
  }

  /** Sends a marker through the same door and waits until it is committed: everything sent before it was judged. */
  async function settled(emitter: Emitter): Promise<AcceptedEvent[]> {
    const marker = await post(emitter, '/v1/events', anEventInput({ type: 'config.changed', reason: 'marker' }));
    expect(marker.statusCode).toBe(202);
    const id = marker.json<{ id: string }>().id;
    return expectEventually(async () => {
      const events = await committed(emitter.tenant);
      expect(events.map((e) => e.id)).toContain(id);
      return events;
    }, { timeoutMs: 30_000 });
  }

  const RESERVED: Partial<AuditEventInput>[] = [
    { type: 'gate.decided', outcome: 'allowed' },
    { type: 'policy.evaluated', outcome: 'allowed' },
    { type: 'alert.fired' },
    { type: 'audit.read' },
    { type: 'ledger.verified', outcome: 'succeeded' },
  ];

  it('(a) an emitter key asserting gate.decided, policy.evaluated, alert.fired, audit.read or ledger.verified gets 403, and nothing is recorded', async () => {
    const emitter = await anEmitter(ledger.pool);
    for (const over of RESERVED) {
      const res = await post(emitter, '/v1/events', anEventInput(over));
      expect({ type: over.type, status: res.statusCode }).toEqual({ type: over.type, status: 403 });
      expect(res.json()).toMatchObject({ type: expect.stringContaining('reserved-assertion'), errors: [{ path: 'type', message: expect.stringMatching(/^reserved-event-type: /) }] });
    }
    // A batch hiding one among valid events is refused whole, naming the index.
    const batch = await post(emitter, '/v1/events:batch', { events: [anEventInput(), anEventInput(RESERVED[0])] });
    expect(batch.statusCode).toBe(403);
    expect(batch.json()).toMatchObject({ errors: [{ index: 1, path: 'type' }] });
    // Even a key scoped to exactly that type cannot.
    const scoped = await anEmitter(ledger.pool, { types: ['gate.decided'] });
    expect((await post(scoped, '/v1/events', anEventInput(RESERVED[0]))).statusCode).toBe(403);
    expect((await settled(emitter)).map((e) => e.type)).toEqual(['config.changed']);
  });

  it('(b) any event with source.system "query-alerting" or "approval-policy" from a key gets 403', async () => {
    const emitter = await anEmitter(ledger.pool);
    for (const system of ['query-alerting', 'approval-policy']) {
      const res = await post(emitter, '/v1/events', anEventInput({ type: 'deployment.succeeded', artifact: { digest: aDigest() }, outcome: 'succeeded', source: { system } }));
      expect({ system, status: res.statusCode }).toEqual({ system, status: 403 });
      expect(res.json()).toMatchObject({ errors: [{ path: 'source.system', message: expect.stringMatching(/^reserved-source-system: /) }] });
    }
    expect((await settled(emitter)).map((e) => e.type)).toEqual(['config.changed']);
  });

  it('(c) a body that sets provenance gets 422 naming the field', async () => {
    const emitter = await anEmitter(ledger.pool);
    const forged = { ...anEventInput(), provenance: { kind: 'service', id: 'approval-policy', auth: 'service-credential', scopes: [] } };
    const one = await post(emitter, '/v1/events', forged);
    expect(one.statusCode).toBe(422);
    expect(one.json()).toMatchObject({ errors: [{ path: '', message: expect.stringContaining('provenance') }] });
    const batch = await post(emitter, '/v1/events:batch', { events: [anEventInput(), forged] });
    expect(batch.statusCode).toBe(422);
    expect(batch.json()).toMatchObject({ errors: [{ index: 1, message: expect.stringContaining('provenance') }] });
    expect((await settled(emitter)).map((e) => e.type)).toEqual(['config.changed']);
  });

  describe('(d) committed records carry the provenance of the door they came through', () => {
    it('the events API: the API key, its scopes and the door', async () => {
      const emitter = await anEmitter(ledger.pool, { scopes: ['approvals'] });
      const res = await post(emitter, '/v1/events:batch', { events: [anEventInput()] });
      expect(res.statusCode).toBe(202);
      const [id] = res.json<{ ids: string[] }>().ids;
      const events = await settled(emitter);
      expect(events.find((e) => e.id === id)?.provenance).toEqual({ kind: 'api_key', id: emitter.keyId, auth: 'api-key', scopes: ['approvals'], via: 'http-batch' });
      expect(events.at(-1)?.provenance).toEqual({ kind: 'api_key', id: emitter.keyId, auth: 'api-key', scopes: ['approvals'], via: 'http' });
    });

    it('the Terraform adapter: the API key, through its door', async () => {
      const emitter = await anEmitter(ledger.pool);
      const res = await ingest.inject({
        method: 'POST',
        url: '/v1/adapters/terraform/plan?changeId=CHG-trust-tf&environment=prod',
        payload: fixture('terraform/plan_with_iam_policies.json'),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` },
      });
      expect(res.statusCode).toBe(202);
      const [id] = res.json<{ ids: string[] }>().ids;
      const events = await settled(emitter);
      expect(events.find((e) => e.id === id)).toMatchObject({ type: 'plan.created', provenance: { kind: 'api_key', id: emitter.keyId, auth: 'api-key', scopes: [], via: 'terraform' } });
    });

    it('a GitHub webhook: the verified delivery', async () => {
      const tenant = aTenant('ghp');
      const secret = `s-${randomUUID()}`;
      await setWebhookSecret(ledger.pool, tenant, 'github', secret);
      const body = fixture('github/pull_request_review.submitted.json');
      const delivery = randomUUID();
      const res = await deliverGithub(tenant, secret, 'pull_request_review', body, delivery);
      expect(res.statusCode).toBe(202);
      const [event] = await expectEventually(async () => {
        const events = await committed(tenant);
        expect(events).toHaveLength(1);
        return events;
      }, { timeoutMs: 30_000 });
      expect(event?.provenance).toEqual({ kind: 'webhook', id: `github:${delivery}`, auth: 'hmac-sha256', scopes: [], via: 'github', delivery });
    });

    it('the approvals API: the token, with its verified roles and groups — never what the body claims', async () => {
      const emitter = await anEmitter(ledger.pool);
      const changeId = `CHG-trust-${randomUUID().slice(0, 8)}`;
      const digest = aDigest();
      const resource = { kind: 'aws_db_instance', id: 'payments-db', environment: 'prod' };
      const setup = await post(emitter, '/v1/events:batch', {
        events: [
          { type: 'change.requested', occurredAt: new Date().toISOString(), actor: { id: 'alice', type: 'user' }, resource, changeId, reason: 'raise max_connections' },
          { type: 'plan.created', occurredAt: new Date().toISOString(), actor: { id: 'terraform-ci', type: 'pipeline' }, resource, changeId, plan: { digest } },
        ],
      });
      expect(setup.statusCode).toBe(202);
      const view = approvals.get(ChangeViewRepository);
      await expectEventually(async () => expect(await view.changeEvents(emitter.tenant, changeId)).toHaveLength(2), { timeoutMs: 30_000 });

      const token = await mintDevToken({ tenant: emitter.tenant, sub: 'bob', roles: ['viewer'], groups: ['sre'] }, JWT);
      const approve = (payload: unknown) =>
        approvals.inject({ method: 'POST', url: `/v1/changes/${changeId}/approvals`, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });

      // The body may not claim who approves or with which roles: refused, naming the field.
      const claiming = await approve({ decision: 'approve', planDigest: digest, actor: { id: 'erin', roles: ['admin'], teams: ['security'] } });
      expect(claiming.statusCode).toBe(422);
      expect(JSON.stringify(claiming.json())).toContain('actor');

      const ok = await approve({ decision: 'approve', planDigest: digest });
      expect(ok.statusCode).toBe(202);
      const eventId = ok.json<{ eventId: string }>().eventId;
      const recorded = await expectEventually(async () => {
        const found = (await committed(emitter.tenant)).find((e) => e.id === eventId);
        expect(found).toBeDefined();
        return found as AcceptedEvent;
      }, { timeoutMs: 30_000 });
      expect(recorded).toMatchObject({ type: 'approval.granted', actor: { id: 'bob', roles: ['viewer'], teams: ['sre'] } });
      expect(recorded.provenance).toEqual({
        kind: 'user_token',
        id: 'audit-ledger-dev|bob',
        auth: 'jwt-dev-hs256',
        scopes: [],
        issuer: 'audit-ledger-dev',
        subject: 'bob',
        roles: ['viewer'],
        groups: ['sre'],
        via: 'approvals-api',
      });
      expect(JSON.stringify(recorded)).not.toContain('security');
    });
  });

  describe('the intake topic: what let a message in is the Kafka connection, and provenance says so', () => {
    const intake = async (tenant: string, event: AuditEventInput) => {
      if (!producer) {
        producer = new Kafka({ clientId: 'trust-intake', brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
        await producer.connect();
      }
      await producer.send({ topic: topicName('intake', ledger.namespace), acks: -1, messages: [{ key: tenant, value: JSON.stringify({ tenant, event }) }] });
    };

    it('stamps kind intake on what it accepts and dead-letters reserved assertions', async () => {
      const tenant = aTenant('int');
      const reserved = anEventInput({ type: 'gate.decided', outcome: 'allowed', changeId: 'CHG-intake-gate' });
      await intake(tenant, reserved);
      await intake(tenant, anEventInput({ changeId: 'CHG-intake-ok' }));
      const [event] = await expectEventually(async () => {
        const events = await committed(tenant);
        expect(events).toHaveLength(1);
        return events;
      }, { timeoutMs: 60_000 });
      expect(event).toMatchObject({ changeId: 'CHG-intake-ok', provenance: { kind: 'intake', id: topicName('intake', ledger.namespace), auth: 'kafka-acl', scopes: [], via: 'intake' } });
      await expectEventually(() => {
        const refused = dlq.json<{ reason: string; service: string; originalValue: string }>().filter((d) => d.service === 'ingest' && Buffer.from(d.originalValue, 'base64').toString('utf8').includes('CHG-intake-gate'));
        expect(refused).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^type: reserved-event-type: /) })]);
      }, { timeoutMs: 30_000 });
    });
  });

  describe('(e) a producer writing straight to the ingested topic', () => {
    const gate = (tenant: string, extra: Partial<AcceptedEvent> = {}): AcceptedEvent => {
      const now = new Date();
      return AcceptedEvent.parse({ ...anEventInput({ type: 'gate.decided', outcome: 'allowed', source: { system: 'approval-policy' } }), tenant, id: uuidv7(now), receivedAt: now.toISOString(), ...extra });
    };

    it('is not appended without a valid service credential: dead-lettered with the reason, the attempt recorded', async () => {
      const tenant = aTenant('raw');
      const bare = gate(tenant);
      const claimed = gate(tenant, { provenance: serviceProvenance('approval-policy') });
      const forgedKey = { ...anEventInput(), tenant, id: uuidv7(new Date()), receivedAt: new Date().toISOString(), provenance: { kind: 'api_key' as const, id: 'someone-elses-key', auth: 'api-key', scopes: ['approvals'] } };
      const wrongSecret = serviceSignedMessage(['w'.repeat(32)], claimed);
      await ledger.send([bare, claimed, AcceptedEvent.parse(forgedKey)]);
      await ledger.produceSigned(wrongSecret.value, wrongSecret.headers);
      // A control that our services would send: signed with this deployment's credential, appended.
      const genuine = gate(tenant, { provenance: serviceProvenance('approval-policy') });
      await ledger.sendAsService([genuine]);

      // The ledger holds the genuine one and, for each refused message, only the record of the attempt.
      const refusedIds = [bare.id, claimed.id, forgedKey.id, claimed.id];
      const events = await expectEventually(async () => {
        const all = await committed(tenant);
        expect(all.map((e) => e.type)).toEqual(['ledger.append_failed', 'ledger.append_failed', 'ledger.append_failed', 'ledger.append_failed', 'gate.decided']);
        return all;
      }, { timeoutMs: 30_000 });
      expect(events.at(-1)?.id).toBe(genuine.id);
      expect(events.filter((e) => refusedIds.includes(e.id))).toEqual([]);
      expect(events.slice(0, 4).map((e) => [e.details?.eventId, e.provenance?.id, e.reason])).toEqual(
        refusedIds.map((id, i) => [id, 'ledger', expect.stringMatching(i === 3 ? /service-credential: .*does not match/ : /service-credential: .*none sent/)]),
      );
      await expectEventually(() => {
        const letters = dlq.json<{ reason: string; originalValue: string; service: string }>().filter((d) => d.service === 'ledger');
        const refused = letters.map((d) => ({ id: (JSON.parse(Buffer.from(d.originalValue, 'base64').toString('utf8')) as { id: string }).id, reason: d.reason }));
        for (const id of [bare.id, claimed.id, forgedKey.id]) expect(refused).toContainEqual({ id, reason: expect.stringMatching(/service-credential: .*none sent/) });
        expect(refused).toContainEqual({ id: claimed.id, reason: expect.stringMatching(/service-credential: .*does not match/) });
      }, { timeoutMs: 30_000 });
    });
  });

  it('(f) a signed GitHub review replayed with a new delivery id answers 200 duplicate and records nothing new', async () => {
    const tenant = aTenant('ghr');
    const secret = `s-${randomUUID()}`;
    await setWebhookSecret(ledger.pool, tenant, 'github', secret);
    const body = fixture('github/pull_request_review.submitted.json');
    const first = await deliverGithub(tenant, secret, 'pull_request_review', body, randomUUID());
    expect(first.statusCode).toBe(202);
    const replay = await deliverGithub(tenant, secret, 'pull_request_review', body, randomUUID());
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ ...first.json(), duplicate: true });
    // Same review re-serialized (other bytes, same assertion): still a duplicate, not a conflict.
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1));
    const again = await deliverGithub(tenant, secret, 'pull_request_review', reformatted, randomUUID());
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, ids: first.json<{ ids: string[] }>().ids });
    // A later state of the same review is a new assertion.
    const dismissed = JSON.parse(body.toString('utf8')) as { review: { state: string } };
    dismissed.review.state = 'dismissed';
    const changed = await deliverGithub(tenant, secret, 'pull_request_review', Buffer.from(JSON.stringify(dismissed)), randomUUID());
    expect(changed.statusCode).toBe(202);

    const ids = [...first.json<{ ids: string[] }>().ids, ...changed.json<{ ids: string[] }>().ids];
    await expectEventually(async () => expect((await committed(tenant)).map((e) => e.id)).toEqual(ids), { timeoutMs: 30_000 });
    const events = await committed(tenant);
    expect(events.filter((e) => e.type === 'review.submitted')).toHaveLength(2);
  });

  function deliverGithub(tenant: string, secret: string, event: string, body: Buffer, delivery: string) {
    return ingest.inject({
      method: 'POST',
      url: `/v1/webhooks/github/${tenant}`,
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
    });
  }
});
