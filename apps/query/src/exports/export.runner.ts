import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AcceptedEvent } from '@audit/contracts';
import type { Pool } from '@audit/db';
import { KafkaPublisher } from '@audit/kafka';
import { writeLedgerExport } from '@audit/ledger-store';
import type { Logger } from '@audit/observability';
import { InjectConfig, InjectLogger, InjectPool } from '@audit/service-shell';
import { matchesEvent, parseQuery } from '@audit/query-language';
import { CLOCK, ID_GENERATOR, type Clock, type IdGenerator } from '../clock';
import type { QueryConfig } from '../config';
import { signedLedgerMessages } from '../ledger-events/signed-ledger-messages';
import { withTenantReader } from '../projections/postgres/tenant-reader';
import { exportCreatedEvent } from './export-created.event';
import { ExportJobRepository, type ExportJob } from './export-job.repository';
import { resolveExportKeys } from './export-keys';

/** Where a tenant's finished bundle lives (ids are UUIDv7 and tenants slugs: no path tricks possible). */
export function bundlePath(dir: string, job: { tenant: string; id: string }): string {
  return join(dir, job.tenant, `${job.id}.tar.gz`);
}

/**
 * Runs export jobs in the background of the query service: claims queued jobs (oldest first, at most
 * EXPORT_CONCURRENCY at once, `FOR UPDATE SKIP LOCKED` so instances share the queue), streams the
 * tenant's ledger into a bundle with `writeLedgerExport` (bounded memory), records the export as an
 * `export.created` event and only then marks it succeeded. Nothing survives a restart: a job whose
 * runner stopped writing heartbeats is failed with a clear error, at startup and on every poll.
 */
@Injectable()
export class ExportRunner implements OnApplicationBootstrap, OnModuleDestroy {
  readonly jobs: ExportJobRepository;
  readonly dir: string;
  private readonly running = new Map<string, { job: ExportJob; done: Promise<void> }>();
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: QueryConfig,
    @InjectPool() private readonly pool: Pool,
    @InjectLogger() logger: Logger,
    private readonly publisher: KafkaPublisher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly newId: IdGenerator,
  ) {
    this.jobs = new ExportJobRepository(pool);
    this.dir = resolve(config.EXPORT_DIR);
    this.logger = logger.child({ feature: 'exports' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.failAbandoned();
    this.timer = setInterval(() => void this.tick(), this.config.EXPORT_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Running jobs finish or fail on their own; waiting keeps their last writes from hitting a closed pool.
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Looks for queued jobs now (called after every POST). */
  kick(): void {
    void this.pump().catch((error: unknown) => this.logger.error({ err: error }, 'export runner could not claim a job'));
  }

  private async tick(): Promise<void> {
    try {
      const now = this.clock();
      await this.jobs.heartbeat([...this.running.values()].map((r) => r.job), now);
      await this.failAbandoned();
    } catch (error) {
      this.logger.error({ err: error }, 'export runner heartbeat failed');
    }
    this.kick();
  }

  private async failAbandoned(): Promise<void> {
    const now = this.clock();
    const failed = await this.jobs.failAbandoned(new Date(now.getTime() - this.config.EXPORT_STALE_AFTER_MS), now);
    for (const job of failed) this.logger.warn({ tenant: job.tenant, exportId: job.id }, 'export job abandoned by a stopped runner: marked failed');
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (!this.stopped && this.running.size < this.config.EXPORT_CONCURRENCY) {
          const job = await this.jobs.claim(this.clock());
          if (!job) break;
          const done = this.run(job).finally(() => {
            this.running.delete(job.id);
            this.kick();
          });
          this.running.set(job.id, { job, done });
        }
      } while (this.pumpAgain && !this.stopped);
    } finally {
      this.pumping = false;
    }
  }

  private async run(job: ExportJob): Promise<void> {
    const final = bundlePath(this.dir, job);
    const partial = `${final}.part`;
    const started = this.clock();
    const log = this.logger.child({ tenant: job.tenant, exportId: job.id });
    try {
      await mkdir(dirname(final), { recursive: true });
      const keys = await resolveExportKeys(this.config.EXPORT_TRUSTED_KEYS, this.config.EXPORT_LEDGER_URL ?? this.config.LEDGER_PUBLIC_URL);
      const ast = job.request.query !== undefined ? parseQuery(job.request.query) : undefined;
      if (ast && !ast.ok) throw new Error(`the stored query does not parse: ${ast.error.message}`);
      const filterAst = ast?.ok ? ast.ast : null;
      let lastWrite = 0;
      const result = await writeLedgerExport(
        this.pool,
        {
          tenant: job.tenant,
          exportId: job.id,
          now: started,
          requestedBy: { id: job.requestedBy.sub, roles: job.requestedBy.roles, via: 'api' },
          request: job.request,
          trustedKeys: keys.trustedKeys,
          publicKeyPems: keys.publicKeyPems,
          keySource: keys.source,
          // Exact and bounded: the parsed query is evaluated on each streamed record, as the ledger holds it.
          ...(filterAst ? { filter: (entry: Record<string, unknown>) => matchesEvent(filterAst, entry as unknown as AcceptedEvent) } : {}),
          summarizeChanges: (ids) => this.changeSummaries(job.tenant, ids),
          workDir: this.dir,
          onProgress: (p) => {
            const now = this.clock();
            if (p.phase === 'records' && now.getTime() - lastWrite < 1_000) return;
            lastWrite = now.getTime();
            void this.jobs.progress(job, { phase: p.phase, records: p.records, total: p.total }, now).catch((error: unknown) => log.warn({ err: error }, 'could not store export progress'));
          },
        },
        partial,
      );
      await this.jobs.progress(job, { phase: 'recording', records: result.manifest.counts.records }, this.clock());
      const now = this.clock();
      const event = AcceptedEvent.parse(
        exportCreatedEvent({ tenant: job.tenant, exportId: job.id, requester: job.requestedBy, manifest: result.manifest, manifestSha256: result.manifestSha256, bytes: result.bytes, now, id: this.newId(now) }),
      );
      await this.record(event);
      await rename(partial, final);
      await this.jobs.succeed(job, { records: result.manifest.counts.records, bytes: result.bytes, manifestSha256: result.manifestSha256, eventId: event.id }, this.clock());
      const seconds = (this.clock().getTime() - started.getTime()) / 1000;
      log.info({ records: result.manifest.counts.records, bytes: result.bytes, seconds, eventId: event.id }, 'export written and recorded');
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, 'export failed');
      await this.jobs.fail(job, message, this.clock()).catch((e: unknown) => log.error({ err: e }, 'could not mark the export failed'));
    }
  }

  /**
   * Publishes the export.created event (three tries). If the ledger cannot be told, the bundle is
   * deleted and the job fails: an export nobody can account for must not be handed out (invariant 5).
   */
  private async record(event: AcceptedEvent): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.publisher.publish('ingested', signedLedgerMessages(this.config.SERVICE_CREDENTIAL_SECRET, [event]), { timeoutMs: 5_000 });
        return;
      } catch (error) {
        last = error;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    throw new Error(`the export could not be recorded in the audit log (${(last as Error)?.message ?? 'unknown error'}); the bundle was discarded`);
  }

  /** changes.json `summary`: status and verdicts from the lifecycle view, as GET /v1/changes shows them. */
  private async changeSummaries(tenant: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      const rows = await withTenantReader(this.pool, tenant, async (client) => {
        const res = await client.query<{ change_id: string; status: string; outcome: string; verdicts: Record<string, unknown>; last_seq: string }>(
          'SELECT change_id, status, outcome, verdicts, last_seq FROM query.changes WHERE change_id = ANY($1)',
          [chunk],
        );
        return res.rows;
      });
      for (const r of rows) out.set(r.change_id, { status: r.status, outcome: r.outcome, verdicts: r.verdicts, projectedThroughSeq: Number(r.last_seq) });
    }
    return out;
  }
}
