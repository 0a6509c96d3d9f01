import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { topicName, uuidv7, type AcceptedEvent, type AuditEventInput, type CommittedRecord, type Provenance } from '@audit/contracts';
import { mintDevToken, type Principal } from '@audit/auth';
import { ensureTopics } from '@audit/kafka';
import { generateSigningKey, parseServiceSecrets, serviceSignedMessage } from '@audit/ledger-core';
import { aTenant, bootService, expectEventually } from '@audit/testing';
import { AppModule as LedgerModule } from '../../../ledger/src/app.module';
import { LedgerEnv } from '../../../ledger/src/config';
import { AppModule } from '../../src/app.module';
import { ApprovalPolicyEnv } from '../../src/config';
import { OverdueReviewSweeper } from '../../src/break-glass/overdue-review.sweeper';
import { ChangeViewRepository } from '../../src/ledger-view/change-view.repository';

const JWT = { issuer: 'audit-ledger-dev', audience: 'audit-ledger', hmacSecret: 'local-development-secret-change-me-0123456789' };

/**
 * The approval-policy service and the REAL ledger, booted in-process on their own topic namespace, with
 * a clock the test moves. Events from "pipelines" go to `audit.ingested.v1` the way ingest puts them
 * there; everything is then committed by the ledger and read back from `audit.committed.v1`.
 */
export class ApprovalHarness {
  readonly namespace = `ap${randomBytes(4).toString('hex')}`;
  readonly tenant = aTenant('ap');
  readonly kafka = new Kafka({ clientId: 'approval-test', brokers: (process.env.KAFKA_BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  readonly pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  now = new Date('2026-11-25T10:00:00.000Z');
  app!: NestFastifyApplication;
  ledger!: NestFastifyApplication;
  readonly committed: CommittedRecord[] = [];
  private producer: Producer | undefined;
  private watcher: Consumer | undefined;

  async start(): Promise<void> {
    await ensureTopics(this.kafka, (['ingested', 'committed', 'checkpoints', 'dlq'] as const).map((k) => ({ name: topicName(k, this.namespace), partitions: 2 })));
    const key = generateSigningKey('approval-test-key');
    this.ledger = await bootService(
      { service: 'ledger', env: LedgerEnv, module: (config, logger) => LedgerModule.forRoot(config, logger), uses: { postgres: true, kafka: true } },
      { KAFKA_TOPIC_NAMESPACE: this.namespace, LEDGER_SIGNING_KEY: key.privateKeyPem, LEDGER_KEY_NAME: 'approval-test-key', CHECKPOINT_INTERVAL_MS: '1000', LEDGER_VERIFY_ENABLED: 'false' },
    );
    this.app = await bootService(
      {
        service: 'approval-policy',
        env: ApprovalPolicyEnv,
        module: (config, logger) => AppModule.forRoot(config, logger, { clock: () => this.now }),
        uses: { postgres: true, kafka: true },
      },
      { KAFKA_TOPIC_NAMESPACE: this.namespace, OVERDUE_SWEEP_INTERVAL_MS: '0' },
    );
    this.watcher = this.kafka.consumer({ groupId: `${this.namespace}-watch` });
    await this.watcher.connect();
    await this.watcher.subscribe({ topic: topicName('committed', this.namespace), fromBeginning: true });
    await this.watcher.run({ eachMessage: async ({ message }) => void this.committed.push(JSON.parse(String(message.value)) as CommittedRecord) });
  }

  async close(): Promise<void> {
    await this.watcher?.disconnect();
    await this.producer?.disconnect();
    await this.app?.close();
    await this.ledger?.close();
    await this.pool.end();
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  token(who: Partial<Principal> & { sub: string }): Promise<string> {
    return mintDevToken({ tenant: this.tenant, roles: [], groups: [], ...who }, JWT);
  }

  /** An event as ingest would accept it (tenant, UUIDv7, receivedAt = the test clock, and the provenance its door stamps). */
  async emit(input: AuditEventInput, provenance?: Provenance): Promise<AcceptedEvent> {
    const event = {
      version: 1,
      ...input,
      actor: { roles: [], teams: [], ...input.actor },
      tenant: this.tenant,
      id: uuidv7(this.now),
      receivedAt: this.now.toISOString(),
      ...(provenance ? { provenance } : {}),
    } as AcceptedEvent;
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true });
      await this.producer.connect();
    }
    // A provenance is what ingest stamps, and ingest signs it with the service credential: so does this.
    const headers = provenance ? serviceSignedMessage(parseServiceSecrets(process.env.SERVICE_CREDENTIAL_SECRET ?? ''), event).headers : undefined;
    await this.producer.send({ topic: topicName('ingested', this.namespace), acks: -1, messages: [{ key: this.tenant, value: JSON.stringify(event), ...(headers ? { headers } : {}) }] });
    return event;
  }

  /** Waits until the change view holds `count` events of the change (the ledger committed them and we consumed them). */
  async viewHas(changeId: string, count: number): Promise<void> {
    const view = this.app.get(ChangeViewRepository);
    await expectEventually(async () => expect((await view.changeEvents(this.tenant, changeId)).length).toBeGreaterThanOrEqual(count), { timeoutMs: 30_000 });
  }

  /** Committed events of this tenant, optionally of one type and change. */
  committedEvents(type?: string, changeId?: string): AcceptedEvent[] {
    return this.committed.map((r) => r.event).filter((e) => e.tenant === this.tenant && (!type || e.type === type) && (!changeId || e.changeId === changeId));
  }

  async committedEvent(id: string): Promise<CommittedRecord> {
    return expectEventually(() => {
      const found = this.committed.find((r) => r.event.id === id);
      expect(found).toBeDefined();
      return found as CommittedRecord;
    });
  }

  sweeper(): OverdueReviewSweeper {
    return this.app.get(OverdueReviewSweeper);
  }

  inject(method: 'GET' | 'PUT' | 'POST', url: string, token: string, payload?: unknown) {
    return this.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
  }
}

/** Event inputs for a change story on the harness. */
export const story = (changeId: string, environment = 'prod') => ({
  request: (requester: string, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
    type: 'change.requested',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: requester, type: 'user', roles: [], teams: ['payments'] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment },
    changeId,
    reason: 'raise max_connections',
    ...extra,
  }),
  plan: (digest: string, summary: Partial<{ destroys: number; iamChanges: number }> = {}, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
    type: 'plan.created',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: 'terraform-ci', type: 'pipeline', roles: [], teams: [] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment },
    changeId,
    plan: { digest, summary: { adds: 0, changes: 1, destroys: 0, replacements: 0, iamChanges: 0, securityGroupChanges: 0, drift: 0, resourceTypes: ['aws_db_instance'], ...summary } },
    ...extra,
  }),
  breakGlass: (who: string, reason = 'payments down, rolling back'): AuditEventInput => ({
    type: 'breakglass.invoked',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: who, type: 'user', roles: [], teams: ['sre'] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment },
    changeId,
    reason,
  }),
  breakGlassReview: (who: string): AuditEventInput => ({
    type: 'breakglass.reviewed',
    occurredAt: '2026-11-25T10:00:00.000Z',
    actor: { id: who, type: 'user', roles: [], teams: ['security'] },
    resource: { kind: 'aws_db_instance', id: 'payments-db', environment },
    changeId,
    reason: 'post-incident review done',
  }),
});

export const E2E_POLICY = {
  groups: [
    { name: 'sre', members: ['bob', 'carol'] },
    { name: 'security', members: ['erin', 'frank'] },
  ],
  rules: [
    {
      name: 'prod-two-keys',
      when: 'change.environment == "prod"',
      require: { approvals: [{ group: 'sre', count: 1 }, { group: 'security', count: 1 }], validFor: 'PT4H', breakGlass: true },
    },
    { name: 'everything-else', when: 'true', require: { allow: true } },
  ],
  freezeWindows: [{ name: 'holiday-freeze', timeZone: 'UTC', environments: ['prod'], ranges: [{ start: '2026-12-24T00:00', end: '2026-12-27T00:00' }] }],
  breakGlass: { reviewWithin: 'PT2H' },
};
