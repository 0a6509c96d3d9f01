import { randomUUID } from 'node:crypto';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { expectEventually } from './expect-eventually';

// Proves the harness gives every integration test the REAL services, not stand-ins.
describe('integration infrastructure', () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');

  it('Kafka: a produced message is consumed back', async () => {
    const kafka = new Kafka({ clientId: 'smoke', brokers, logLevel: logLevel.NOTHING });
    const topic = `smoke.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true });
    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    const received: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value?.toString() ?? '') });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello kafka' }] });
      await expectEventually(() => expect(received).toEqual(['hello kafka']));
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('Postgres: migrations were applied and a row round-trips', async () => {
    const pool = new Pool({ connectionString: process.env.DATABASE_URL });
    try {
      const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      expect(Number(rows[0]?.n)).toBeGreaterThan(0);
      await pool.query('CREATE TEMP TABLE smoke (id uuid PRIMARY KEY, note text)');
      const id = randomUUID();
      await pool.query('INSERT INTO smoke VALUES ($1, $2)', [id, 'hello postgres']);
      const back = await pool.query<{ note: string }>('SELECT note FROM smoke WHERE id = $1', [id]);
      expect(back.rows[0]?.note).toBe('hello postgres');
    } finally {
      await pool.end();
    }
  });

  it('OpenSearch: an indexed document is found by search', async () => {
    const client = new OpenSearchClient({ node: process.env.OPENSEARCH_URL });
    const index = `smoke-${randomUUID()}`;
    try {
      await client.index({ index, id: '1', body: { note: 'hello opensearch' }, refresh: true });
      const res = await client.search({ index, body: { query: { match: { note: 'opensearch' } } } });
      expect(res.body.hits.hits.map((h) => h._id)).toEqual(['1']);
    } finally {
      await client.indices.delete({ index }).catch(() => undefined);
      await client.close();
    }
  });
});
