import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { anEventInput, aTenant, expectEventually } from '@audit/testing';
import { aNamespace, anEmitter, brokers, createTopics, startApp, testConfig, testPool, TopicTap, type Emitter } from './support/ingest-harness';

describe('POST /v1/events and /v1/events:batch (real Kafka and Postgres)', () => {
  const namespace = aNamespace('ingest-events');
  let app: NestFastifyApplication;
  let pool: Pool;
  let tap: TopicTap;
  let emitter: Emitter;
  /** A tenant with its own secret shape configured (SECRET_SCAN_TENANT_PATTERNS). */
  const patterned = aTenant('pat');

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    pool = testPool();
    app = await startApp(testConfig(namespace, { SECRET_SCAN_TENANT_PATTERNS: JSON.stringify({ [patterned]: ['ACME-[0-9]{8}'] }) }));
    tap = await TopicTap.start(brokers(), topicName('ingested', namespace));
    emitter = await anEmitter(pool);
  });

  afterAll(async () => {
    await tap?.stop();
    await app?.close();
    await pool?.end();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}, token = emitter.token) =>
    app.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers } });

  const onTopic = (id: string) => tap.json<AcceptedEvent>().filter((e) => e.id === id);

  it('answers 202 with a UUIDv7 only once the event is on audit.ingested.v1, stamped with the key’s tenant', async () => {
    const res = await post('/v1/events', anEventInput({ changeId: 'CHG-one' }));
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; receivedAt: string }>();
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    // acks=all resolved before the answer: the message is readable back from the topic.
    await expectEventually(() => expect(onTopic(body.id)).toHaveLength(1), { timeoutMs: 15_000 });
    const [event] = onTopic(body.id);
    expect(event).toMatchObject({ tenant: emitter.tenant, changeId: 'CHG-one', receivedAt: body.receivedAt });
    expect(tap.messages.find((m) => m.value.includes(body.id))?.key).toBe(emitter.tenant);
  });

  it('replaces secrets in reason and details before the event is stamped, and says how many (issue 17)', async () => {
    // Real-shaped samples written for this test (AWS's documentation example key), no real secrets.
    const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const bearer = 'Bearer q8Zr2Lx0Vw7Mk3Pn9Tb5Yc1Kd4';
    const res = await post('/v1/events:batch', {
      events: [
        anEventInput({ changeId: 'CHG-secret', reason: `rotated ${awsSecret}; db postgres://app:s3cr3t-P4ss@db.internal/app` }),
        anEventInput({ changeId: 'CHG-secret', details: { curl: `curl -H "Authorization: ${bearer}"`, db_password: 'hunter2', ticket: 'OPS-7' } }),
      ],
    });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ ids: string[]; redacted: number }>();
    expect(body.redacted).toBe(4);
    await expectEventually(() => expect(body.ids.flatMap(onTopic)).toHaveLength(2), { timeoutMs: 15_000 });
    const published = tap.messages.filter((m) => body.ids.some((id) => m.value.includes(id))).map((m) => m.value).join('\n');
    for (const secret of [awsSecret, 's3cr3t-P4ss', 'q8Zr2Lx0Vw7Mk3Pn9Tb5Yc1Kd4', 'hunter2']) expect(published).not.toContain(secret);
    const [first, second] = body.ids.map((id) => onTopic(id)[0]!);
    expect(first!.reason).toMatch(/^rotated \[REDACTED:aws-secret-access-key:[0-9a-f]{8}\]; db postgres:\/\/app:\[REDACTED:url-password:[0-9a-f]{8}\]@db\.internal\/app$/);
    expect(second!.details).toEqual({ curl: expect.stringMatching(/Bearer \[REDACTED:bearer-token:[0-9a-f]{8}\]"$/), db_password: expect.stringMatching(/^\[REDACTED:secret-field:[0-9a-f]{8}\]$/), ticket: 'OPS-7' });
  });

  it("applies a tenant's own secret patterns to that tenant only", async () => {
    const own = await anEmitter(pool, { tenant: patterned });
    const mine = await post('/v1/events', anEventInput({ reason: 'ticket ACME-12345678 rotated' }), {}, own.token);
    expect([mine.statusCode, mine.json<{ redacted?: number }>().redacted]).toEqual([202, 1]);
    const theirs = await post('/v1/events', anEventInput({ reason: 'ticket ACME-12345678 rotated' }));
    expect(theirs.statusCode).toBe(202);
    expect(theirs.json()).not.toHaveProperty('redacted');
    await expectEventually(() => expect([...onTopic(mine.json<{ id: string }>().id), ...onTopic(theirs.json<{ id: string }>().id)]).toHaveLength(2), { timeoutMs: 15_000 });
    expect(onTopic(mine.json<{ id: string }>().id)[0]!.reason).toMatch(/^ticket \[REDACTED:tenant-pattern:[0-9a-f]{8}\] rotated$/);
    expect(onTopic(theirs.json<{ id: string }>().id)[0]!.reason).toBe('ticket ACME-12345678 rotated');
  });

  it('an idempotent retry returns the first answer and puts exactly one message on the topic', async () => {
    const event = anEventInput();
    const first = await post('/v1/events', event, { 'idempotency-key': 'retry-1' });
    const second = await post('/v1/events', event, { 'idempotency-key': 'retry-1' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    const { id } = first.json<{ id: string }>();
    await expectEventually(() => expect(onTopic(id)).toHaveLength(1));
    // Give a (wrong) second publish every chance to show up before asserting it never did.
    const marker = await post('/v1/events', anEventInput());
    await expectEventually(() => expect(onTopic(marker.json<{ id: string }>().id)).toHaveLength(1));
    expect(onTopic(id)).toHaveLength(1);
  });

  it('the idempotencyKey field works like the header; the same key with another body is 409', async () => {
    const event = anEventInput({ idempotencyKey: 'field-key-1' });
    const first = await post('/v1/events', event);
    const again = await post('/v1/events', event);
    expect(again.json()).toEqual(first.json());
    const other = await post('/v1/events', { ...event, reason: 'something else' });
    expect(other.statusCode).toBe(409);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('a batch with one bad event is refused whole, naming each bad index, path and rule; nothing is published', async () => {
    const good = anEventInput({ changeId: 'CHG-batch-good' });
    const res = await post('/v1/events:batch', {
      events: [good, { ...anEventInput(), type: 'deployment.exploded' }, good, { ...anEventInput(), colour: 'blue' }],
    });
    expect(res.statusCode).toBe(422);
    const problem = res.json<{ errors: { index: number; path: string; message: string }[] }>();
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, path: 'type' }),
        { index: 3, path: '', message: 'unknown field(s): colour' },
      ]),
    );
    const ok = await post('/v1/events:batch', { events: [anEventInput({ changeId: 'CHG-batch-after' })] });
    expect(ok.statusCode).toBe(202);
    const [afterId] = ok.json<{ ids: string[] }>().ids;
    await expectEventually(() => expect(onTopic(afterId as string)).toHaveLength(1));
    expect(tap.json<AcceptedEvent>().filter((e) => e.changeId === 'CHG-batch-good')).toHaveLength(0);
  });

  it('a valid batch is accepted whole, in order', async () => {
    const events = Array.from({ length: 20 }, (_, i) => anEventInput({ changeId: `CHG-order-${i}` }));
    const res = await post('/v1/events:batch', { events }, { 'idempotency-key': 'batch-1' });
    expect(res.statusCode).toBe(202);
    const { ids } = res.json<{ ids: string[] }>();
    expect(ids).toHaveLength(20);
    await expectEventually(() => expect(tap.json<AcceptedEvent>().filter((e) => ids.includes(e.id))).toHaveLength(20));
    expect(tap.json<AcceptedEvent>().filter((e) => ids.includes(e.id)).map((e) => e.changeId)).toEqual(events.map((e) => e.changeId));
  });

  it('makes tenant spoofing impossible: a tenant in the body is an unknown field, the key decides', async () => {
    const other = await anEmitter(pool);
    const spoof = await post('/v1/events', { ...anEventInput(), tenant: other.tenant });
    expect(spoof.statusCode).toBe(422);
    expect(spoof.json<{ errors: { message: string }[] }>().errors[0]?.message).toMatch(/unknown field\(s\): tenant/);
    const res = await post('/v1/events', anEventInput({ changeId: 'CHG-mine' }), {}, other.token);
    await expectEventually(() => expect(onTopic(res.json<{ id: string }>().id)[0]?.tenant).toBe(other.tenant));
  });

  it('refuses missing, malformed, unknown and revoked keys with 401, and out-of-scope events with 403', async () => {
    const event = anEventInput();
    const none = await app.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(event), headers: { 'content-type': 'application/json' } });
    expect(none.statusCode).toBe(401);
    expect((await post('/v1/events', event, {}, 'nonsense')).statusCode).toBe(401);
    expect((await post('/v1/events', event, {}, `alk_0123456789abcdef.${'A'.repeat(43)}`)).statusCode).toBe(401);
    const wrongSecret = `${emitter.token.slice(0, -4)}AAAA`;
    expect((await post('/v1/events', event, {}, wrongSecret)).statusCode).toBe(401);

    const scoped = await anEmitter(pool, { types: ['plan.created'], sources: ['terraform'] });
    const forbidden = await post('/v1/events', event, {}, scoped.token);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('type');
    const viaHeader = await app.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(event), headers: { 'content-type': 'application/json', 'x-api-key': emitter.token } });
    expect(viaHeader.statusCode).toBe(202);

    await pool.query('UPDATE ingest_api_keys SET revoked_at = now() WHERE key_id = $1', [scoped.keyId]);
    const revokedApp = await startApp(testConfig(namespace, { API_KEY_CACHE_MS: '0' }));
    try {
      const res = await revokedApp.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify(event), headers: { 'content-type': 'application/json', 'x-api-key': scoped.token } });
      expect(res.statusCode).toBe(401);
    } finally {
      await revokedApp.close();
    }
  });

  it('answers bad input with the right 4xx problem, never a 500', async () => {
    const raw = (payload: string | Buffer, contentType = 'application/json') =>
      app.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'content-type': contentType, authorization: `Bearer ${emitter.token}` } });
    expect((await raw('{"type":')).statusCode).toBe(400);
    expect((await raw('')).statusCode).toBe(400);
    expect((await raw(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(anEventInput()))]))).statusCode).toBe(400);
    expect((await raw(Buffer.from([0x7b, 0xff, 0x7d]))).statusCode).toBe(400);
    expect((await raw(JSON.stringify(anEventInput()), 'text/plain')).statusCode).toBe(415);
    expect((await raw(JSON.stringify({ ...anEventInput(), reason: 'x'.repeat(70_000) }))).statusCode).toBe(413);
    const future = await post('/v1/events', anEventInput({ occurredAt: '2999-01-01T00:00:00Z' }));
    expect(future.statusCode).toBe(422);
    expect(future.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('occurredAt');
    const control = await post('/v1/events', anEventInput({ actor: { id: 'ali\u0007ce', type: 'user' } }));
    expect(control.json<{ errors: { path: string; message: string }[] }>().errors[0]).toEqual({ path: 'actor.id', message: 'must not contain control characters' });
    const big = await post('/v1/events:batch', { events: Array.from({ length: 501 }, () => anEventInput()) });
    expect([413, 422]).toContain(big.statusCode);
    const notFound = await post('/v1/nowhere', {});
    expect(notFound.statusCode).toBe(404);
    expect(notFound.headers['content-type']).toMatch(/problem\+json/);
  });

  it('rate-limits per key with 429 and Retry-After', async () => {
    const limited = await startApp(testConfig(namespace, { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' }));
    try {
      const send = () =>
        limited.inject({ method: 'POST', url: '/v1/events', payload: '{', headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await send()).statusCode);
      // Malformed JSON is refused by the parser before auth, so use a real request for the limiter.
      const real = () => limited.inject({ method: 'POST', url: '/v1/events', payload: JSON.stringify({}), headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}` } });
      const results = [await real(), await real(), await real()];
      expect(results.map((r) => r.statusCode)).toEqual([422, 422, 429]);
      expect(results[2]?.headers['retry-after']).toBe('1');
      expect(statuses.every((s) => s === 400)).toBe(true);
    } finally {
      await limited.close();
    }
  });
});
