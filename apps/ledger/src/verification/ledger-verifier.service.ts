import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { KafkaPublisher, type Kafka } from '@audit/kafka';
import { serviceSignedMessage } from '@audit/ledger-core';
import { auditTenantRedactions } from '@audit/ledger-store';
import { counter, gauge, type Logger, type Registry } from '@audit/observability';
import { InjectConfig, InjectKafka, InjectLogger, InjectMetrics, InjectPool } from '@audit/service-shell';
import type { LedgerConfig } from '../app.module';
import { SigningKeysProvider } from '../keys/signing-keys.provider';
import { decideRecording } from './verification.decider';
import { verificationEvent } from './verification-event';
import { verifyPass, type ResumePoint } from './verification.pass';
import { countRedacted, grewSince, loadVerificationState, saveVerificationState, type VerificationState } from './verification-state.repository';

/** Before the first clean pass: nothing verified, the chain at its genesis value. */
const EMPTY_RESUME: ResumePoint = { size: 0, lastHash: Buffer.alloc(32), frontier: { size: 0, hashes: [] }, checkpointedSize: 0, lastCheckpointId: 0 };

/**
 * The ledger watches itself. Every LEDGER_VERIFY_INTERVAL_MS it verifies, per tenant this deployment
 * writes, what was signed since the last pass (resuming from the stored verifier state), and every
 * LEDGER_VERIFY_FULL_INTERVAL_MS the whole log from seq 1; each pass also checks every redaction against
 * the recorded retention runs and legal holds. Results go into the tenant's own log as trusted
 * `ledger.verified` events (decideRecording says which), and the last one is served by GET /v1/verification.
 * One instance of a deployment verifies at a time (advisory lock), so events are not doubled.
 */
@Injectable()
export class LedgerVerifierService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly publisher: KafkaPublisher;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly failures;
  private readonly passes;

  constructor(
    @InjectConfig() private readonly config: LedgerConfig,
    @InjectPool() private readonly pool: Pool,
    @InjectKafka() kafka: Kafka,
    @InjectLogger() private readonly logger: Logger,
    @InjectMetrics() metrics: Registry,
    private readonly keys: SigningKeysProvider,
  ) {
    this.publisher = new KafkaPublisher(kafka, { namespace: config.KAFKA_TOPIC_NAMESPACE });
    this.passes = counter(metrics, 'ledger_verification_passes_total', 'Verification passes over a tenant log', ['mode', 'outcome']);
    this.failures = gauge(metrics, 'ledger_verification_failed_tenants', 'Tenants whose last verification failed');
  }

  onApplicationBootstrap(): void {
    if (!this.config.LEDGER_VERIFY_ENABLED) {
      this.logger.warn('continuous ledger verification is off (LEDGER_VERIFY_ENABLED=false)');
      return;
    }
    this.schedule(this.config.LEDGER_VERIFY_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.publisher.disconnect().catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) => this.logger.error({ err: error }, 'ledger verification tick failed; retrying next tick'))
        .finally(() => this.schedule(this.config.LEDGER_VERIFY_INTERVAL_MS));
    }, ms);
    this.timer.unref();
  }

  /** One round over every tenant of this deployment, while holding the deployment's verifier lock. */
  async tick(now: () => Date = () => new Date()): Promise<void> {
    const client = await this.pool.connect();
    try {
      const ns = this.config.KAFKA_TOPIC_NAMESPACE;
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext('ledger.verifier'), hashtext($1)) AS locked", [ns]);
      if (!rows[0]?.locked) return;
      try {
        const tenants = await client.query<{ tenant: string }>('SELECT tenant FROM ledger.heads WHERE namespace = $1 AND seq > 0 ORDER BY tenant', [ns]);
        let failed = 0;
        for (const { tenant } of tenants.rows) {
          if (this.stopped) break;
          try {
            if ((await this.verifyTenant(tenant, now())).status === 'failed') failed++;
          } catch (error) {
            // One tenant's broken state (or a row the verifier cannot even read) must not stop the others.
            failed++;
            this.logger.error({ err: error, tenant }, 'could not verify the tenant; retrying next tick');
          }
        }
        this.failures.set(failed);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('ledger.verifier'), hashtext($1))", [ns]);
      }
    } finally {
      client.release();
    }
  }

  private async verifyTenant(tenant: string, now: Date): Promise<VerificationState> {
    const previous = await loadVerificationState(this.pool, tenant);
    let full = previous?.lastFullAt === undefined || now.getTime() - previous.lastFullAt.getTime() >= this.config.LEDGER_VERIFY_FULL_INTERVAL_MS;
    let pass: Awaited<ReturnType<typeof verifyPass>>;
    try {
      pass = await verifyPass(this.pool, tenant, this.keys.keys.trusted, undefined, full ? undefined : previous?.resume);
    } catch (error) {
      if (full) throw error;
      // A stored resume point that no longer holds (e.g. its checkpoint's key is no longer trusted): start over.
      this.logger.warn({ err: error, tenant }, 'cannot resume verification from the stored state; verifying from seq 1');
      full = true;
      pass = await verifyPass(this.pool, tenant, this.keys.keys.trusted, undefined, undefined);
    }
    const mode = full ? 'full' : 'incremental';
    // Auditing every redaction is a scan of the redacted rows: a full pass always does it, an incremental
    // one when their number changed (a redaction by hand adds one) or some were still waiting for their run.
    const redactedCount = await countRedacted(this.pool, tenant);
    const audit = full || previous === undefined || redactedCount !== previous.redactedCount || previous.redactionsPending > 0;
    const redactions = audit ? await auditTenantRedactions(this.pool, tenant, { now, graceMs: this.config.LEDGER_VERIFY_REDACTION_GRACE_MS }) : { redacted: redactedCount, pending: 0 };
    const failure = pass.result.firstFailure ?? redactions.firstFailure;
    // The resume point moves only on a clean pass; a failed one is retried from the last good point.
    const resume = pass.next ?? previous?.resume ?? EMPTY_RESUME;
    const size = resume.size;
    const decision = decideRecording(
      { status: previous?.status ?? 'unknown', ...(previous?.failureRecordedKey ? { failureKey: previous.failureRecordedKey } : {}), ...(previous?.successRecordedAt ? { successRecordedAt: previous.successRecordedAt } : {}) },
      { mode, size, ...(failure ? { failure } : {}) },
      { now, grewSinceRecorded: await grewSince(this.pool, tenant, previous?.successRecordedSize ?? 0), successEveryMs: this.config.LEDGER_VERIFY_SUCCESS_EVERY_MS },
    );
    this.passes.inc({ mode, outcome: failure ? 'failed' : 'succeeded' });
    const rootHash = pass.next ? pass.result.rootHash : (previous?.rootHash ?? pass.result.rootHash);
    if (decision.record) {
      const event = verificationEvent(
        { tenant, mode, treeSize: decision.record === 'failed' ? pass.result.rows : size, rootHash, checkpointedSize: pass.result.checkpointedSize, redactedRows: redactions.redacted, ...(failure ? { failure } : {}) },
        now,
      );
      // Recorded before the state says so: if Kafka refuses, the next tick records it again. Signed with the
      // service credential: the ledger appends a reserved event like this one only from our services.
      await this.publisher.publish('ingested', [{ key: tenant, ...serviceSignedMessage(this.config.SERVICE_CREDENTIAL_SECRET, event) }], { timeoutMs: 10_000 });
      const log = { tenant, mode, size, eventId: event.id, ...(failure ? { failure } : {}) };
      if (failure) this.logger.error(log, 'ledger verification failed');
      else this.logger.info(log, 'ledger verified');
    }
    const state: VerificationState = {
      tenant,
      resume,
      rootHash,
      status: decision.status,
      mode,
      // An incremental pass that finds the new rows clean leaves the standing failure as it was.
      ...(decision.status === 'failed' ? { failure: (failure ?? previous?.failure)! } : {}),
      checkedAt: now,
      ...(full ? { lastFullAt: now } : previous?.lastFullAt ? { lastFullAt: previous.lastFullAt } : {}),
      ...(decision.record === 'succeeded'
        ? { successRecordedAt: now, successRecordedSize: size }
        : {
            ...(previous?.successRecordedAt ? { successRecordedAt: previous.successRecordedAt } : {}),
            ...(previous?.successRecordedSize !== undefined ? { successRecordedSize: previous.successRecordedSize } : {}),
          }),
      ...(decision.failureKey ? { failureRecordedKey: decision.failureKey } : {}),
      redactedCount,
      redactionsPending: redactions.pending,
    };
    await saveVerificationState(this.pool, this.config.KAFKA_TOPIC_NAMESPACE, state);
    return state;
  }
}
