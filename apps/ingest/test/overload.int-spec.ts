import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, type AcceptedEvent } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { anEventInput, expectEventually } from '@audit/testing';
import { aNamespace, anEmitter, brokers, createTopics, startApp, testConfig, testPool, TopicTap, type Emitter } from './support/ingest-harness';

/**
 * Overload against the real Kafka and Postgres: with a small waiting bound, a burst of concurrent batches
 * is partly refused at once (503, Retry-After 1, nothing sent) and partly accepted (202, on the topic);
 * retrying the refused ones with their idempotency keys gets them in, each event exactly once.
 */
describe('ingest under overload (real Kafka and Postgres)', () => {
  const namespace = aNamespace('ingest-overload');
  let app: NestFastifyApplication;
  let pool: Pool;
  let tap: TopicTap;
  let emitter: Emitter;

  beforeAll(async () => {
    await createTopics(brokers(), namespace);
    pool = testPool();
    app = await startApp(
      testConfig(namespace, { PUBLISH_MAX_PENDING_EVENTS: '5', PUBLISH_MAX_EVENTS_PER_SEND: '5', RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' }),
    );
    tap = await TopicTap.start(brokers(), topicName('ingested', namespace));
    emitter = await anEmitter(pool);
  });

  afterAll(async () => {
    await tap?.stop();
    await app?.close();
    await pool?.end();
  });

  const postBatch = (events: unknown[], key: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/events:batch',
      payload: JSON.stringify({ events }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${emitter.token}`, 'idempotency-key': key },
    });

  it('refuses what it cannot send in time, fast and cleanly, and takes it on retry', async () => {
    const requests = Array.from({ length: 80 }, (_, i) => ({ key: `burst-${i}`, events: Array.from({ length: 5 }, (_, j) => anEventInput({ changeId: `CHG-${i}-${j}` })) }));
    const answers = await Promise.all(requests.map((r) => postBatch(r.events, r.key)));

    const accepted = new Map<string, string[]>();
    const refused: typeof requests = [];
    answers.forEach((answer, i) => {
      const request = requests[i]!;
      if (answer.statusCode === 202) {
        accepted.set(request.key, (answer.json() as { ids: string[] }).ids);
        return;
      }
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.headers['content-type']).toMatch(/problem\+json/);
      expect((answer.json() as { detail: string }).detail).toMatch(/^ingest is over capacity: \d+ events are already waiting for Kafka \(limit 5\); nothing was accepted/);
      refused.push(request);
    });
    expect(accepted.size).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);

    // What was accepted is on the topic; nothing of what was refused is.
    const acceptedIds = [...accepted.values()].flat();
    await expectEventually(() => expect(tap.json<AcceptedEvent>().map((e) => e.id).sort()).toEqual([...acceptedIds].sort()), { timeoutMs: 15_000 });
    const changeIdsOnTopic = new Set(tap.json<AcceptedEvent>().map((e) => e.changeId));
    for (const r of refused) for (const e of r.events) expect(changeIdsOnTopic.has(e.changeId)).toBe(false);

    // A client retrying after Retry-After (here one request at a time, so nothing else is waiting)
    // gets everything in, and each event lands once.
    for (const r of refused.splice(0)) {
      const again = await postBatch(r.events, r.key);
      if (again.statusCode === 202) accepted.set(r.key, (again.json() as { ids: string[] }).ids);
      else refused.push(r);
    }
    expect(refused).toEqual([]);
    expect(accepted.size).toBe(requests.length);
    const all = [...accepted.values()].flat();
    await expectEventually(() => expect(tap.json<AcceptedEvent>().map((e) => e.id).sort()).toEqual([...all].sort()), { timeoutMs: 15_000 });
    expect(new Set(all).size).toBe(requests.length * 5);
  });
});
