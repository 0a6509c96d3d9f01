import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { mintDevToken } from '@audit/auth';
import { topicName, uuidv7, type AcceptedEvent, type AuditEventInput } from '@audit/contracts';
import { ensureTopics } from '@audit/kafka';
import { generateSigningKey } from '@audit/ledger-core';
import { aDigest, bootService, ensureServiceCredential, expectEventually } from '@audit/testing';
import { migrateAll } from '@audit/tools/migrations';
import { AppModule as LedgerModule } from '../../../ledger/src/app.module';
import { LedgerEnv } from '../../../ledger/src/config';
import { AppModule } from '../../src/app.module';
import { ApprovalPolicyEnv } from '../../src/config';
import { ChangeViewRepository } from '../../src/ledger-view/change-view.repository';

const JWT = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };

export interface GateBenchResult {
  requests: number;
  concurrency: number;
  changes: number;
  seconds: number;
  decisionsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  outcomes: { allow: number; deny: number; error: number };
}

/** The bench rig (lives with the test support: it boots the ledger app and uses the testing lib). */
export async function runGateBench({ requests, concurrency, changes }: { requests: number; concurrency: number; changes: number }): Promise<GateBenchResult> {
  process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/audit_test';
  process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
  ensureServiceCredential();
  await migrateAll(process.env.DATABASE_URL);

  const namespace = `bench${randomBytes(3).toString('hex')}`;
  const tenant = `bench-${randomBytes(3).toString('hex')}`;
  const kafka = new Kafka({ clientId: 'gate-bench', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  await ensureTopics(kafka, (['ingested', 'committed', 'checkpoints', 'dlq'] as const).map((k) => ({ name: topicName(k, namespace) })));
  const key = generateSigningKey('bench-key');
  const ledger = await bootService(
    { service: 'ledger', env: LedgerEnv, module: (c, l) => LedgerModule.forRoot(c, l), uses: { postgres: true, kafka: true } },
    { KAFKA_TOPIC_NAMESPACE: namespace, LEDGER_SIGNING_KEY: key.privateKeyPem, LEDGER_KEY_NAME: 'bench-key' },
  );
  const app = await bootService(
    { service: 'approval-policy', env: ApprovalPolicyEnv, module: (c, l) => AppModule.forRoot(c, l), uses: { postgres: true, kafka: true } },
    { KAFKA_TOPIC_NAMESPACE: namespace, OVERDUE_SWEEP_INTERVAL_MS: '0' },
  );
  try {
    const admin = await mintDevToken({ sub: 'admin', tenant, roles: ['admin'], groups: [] }, JWT);
    const pipeline = await mintDevToken({ sub: 'ci', tenant, roles: [], groups: [] }, JWT);
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/policies',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify({
        groups: [{ name: 'sre', members: ['bob', 'carol'] }, { name: 'security', members: ['erin'] }],
        rules: [
          { name: 'iam', when: 'plan.iamChanges > 0 && now.weekday == 5', require: { deny: 'no IAM on Fridays' } },
          { name: 'prod', when: 'change.environment == "prod"', require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }], validFor: 'P1D' } },
          { name: 'rest', when: 'true', require: { allow: true } },
        ],
      }),
    });
    if (put.statusCode !== 201) throw new Error(`policy refused: ${put.body}`);

    // Seed approved changes through the ledger: request, plan, two approvals each.
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const plans: string[] = [];
    const now = new Date();
    const ev = (input: AuditEventInput): AcceptedEvent => ({ version: 1, ...input, tenant, id: uuidv7(now), receivedAt: now.toISOString() }) as AcceptedEvent;
    const messages = [];
    for (let i = 0; i < changes; i++) {
      const changeId = `CHG-${i}`;
      const digest = aDigest();
      plans.push(digest);
      const resource = { kind: 'aws_db_instance', id: `db-${i}`, environment: 'prod' };
      const at = now.toISOString();
      messages.push(
        ev({ type: 'change.requested', occurredAt: at, actor: { id: 'alice', type: 'user', roles: [], teams: [] }, resource, changeId }),
        ev({ type: 'plan.created', occurredAt: at, actor: { id: 'tf', type: 'pipeline', roles: [], teams: [] }, resource, changeId, plan: { digest } }),
        ev({ type: 'approval.granted', occurredAt: at, actor: { id: 'bob', type: 'user', roles: [], teams: ['sre'] }, resource, changeId, plan: { digest } }),
        ev({ type: 'approval.granted', occurredAt: at, actor: { id: 'erin', type: 'user', roles: [], teams: ['security'] }, resource, changeId, plan: { digest } }),
      );
    }
    await producer.send({ topic: topicName('ingested', namespace), acks: -1, messages: messages.map((m) => ({ key: tenant, value: JSON.stringify(m) })) });
    await producer.disconnect();
    const view = app.get(ChangeViewRepository);
    await expectEventually(async () => {
      if ((await view.changeEvents(tenant, `CHG-${changes - 1}`)).length < 4) throw new Error('view not caught up');
    }, { timeoutMs: 60_000 });

    const gate = (i: number) => {
      const c = i % changes;
      // Every fourth call asks about a plan that was not approved: the deny path costs the same.
      const digest = i % 4 === 3 ? aDigest() : (plans[c] as string);
      return app.inject({
        method: 'POST',
        url: '/v1/gate',
        headers: { authorization: `Bearer ${pipeline}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ changeId: `CHG-${c}`, environment: 'prod', planDigest: digest }),
      });
    };
    for (let i = 0; i < 50; i++) await gate(i); // warm-up: JIT, pools, producer

    const latencies: number[] = [];
    const outcomes = { allow: 0, deny: 0, error: 0 };
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const i = next++;
          const t0 = process.hrtime.bigint();
          const res = await gate(i);
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (res.statusCode !== 200) outcomes.error++;
          else outcomes[(res.json() as { decision: 'allow' | 'deny' }).decision]++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(1));
    return { requests, concurrency, changes, seconds: Number(seconds.toFixed(2)), decisionsPerSecond: Math.round(requests / seconds), p50Ms: pct(50), p95Ms: pct(95), p99Ms: pct(99), maxMs: pct(100), outcomes };
  } finally {
    await app.close();
    await ledger.close();
  }
}
