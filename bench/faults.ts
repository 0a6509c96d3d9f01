import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { topicName, uuidv7, type AcceptedEvent } from '@audit/contracts';
import { createKafka, KafkaPublisher, type Kafka } from '@audit/kafka';
import { verifyTenantLedger } from '@audit/ledger-store';
import { createLogger } from '@audit/observability';
import { drain } from './lib/drain';
import { emptyResult, LoadGenerator } from './lib/load';
import { PipelineStack } from './lib/pipeline-stack';
import { PrivateInfra } from './lib/private-infra';
import { REPO_ROOT, sleep, waitFor, type ServiceName } from './lib/stack';
import { Tracker } from './lib/tracker';

/**
 * `npm run faults [-- --quick]`: each fault against the real stack under a steady open-loop load from a
 * well-behaved emitter (503 and connection errors retried with the same Idempotency-Key). Kafka, OpenSearch
 * and PostgreSQL are private instances (.local/faults, other ports), so stopping or pausing them disturbs
 * nobody. For each fault: events sent / accepted / committed / searchable / lost / duplicated, and whether
 * the projections converged. Exits 1 when any expectation fails.
 */
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rate: { type: 'string' },
    batch: { type: 'string', default: '20' },
    kills: { type: 'string' },
    only: { type: 'string', default: '' },
    'base-port': { type: 'string', default: '3491' },
    out: { type: 'string' },
  },
});
const quick = opts.quick;
const RATE = Number(opts.rate ?? (quick ? 200 : 400));
const DRAIN_MS = quick ? 90_000 : 180_000;
const CONVERGE_MS = quick ? 60_000 : 120_000;
let aborted = false;
const BATCH = Number(opts.batch);
const KILLS = Number(opts.kills ?? (quick ? 2 : 3));
const log = (msg: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface FaultContext {
  infra: PrivateInfra;
  stack: PipelineStack;
  load: LoadGenerator;
  tracker: Tracker;
  publisher: KafkaPublisher;
  kafka: Kafka;
  notes: string[];
}

interface Fault {
  name: string;
  inject(ctx: FaultContext): Promise<void>;
}

const killRepeatedly = (service: ServiceName): Fault => ({
  name: `SIGKILL ${service} ×${KILLS}`,
  async inject({ stack, notes }) {
    for (let i = 0; i < KILLS; i++) {
      const s = stack.services[service];
      await s.kill('SIGKILL');
      const t0 = performance.now();
      s.start();
      await s.waitReady();
      notes.push(`restart ${i + 1}: ready after ${Math.round(performance.now() - t0)} ms`);
      await sleep(quick ? 1_000 : 2_500);
    }
  },
});

const FAULTS: Fault[] = [
  killRepeatedly('ledger'),
  killRepeatedly('ingest'),
  killRepeatedly('query'),
  {
    name: 'Kafka broker stop + restart',
    async inject({ infra }) {
      await infra.restartKafka(quick ? 2_000 : 5_000);
    },
  },
  {
    name: 'Postgres restart (fast shutdown)',
    async inject({ infra }) {
      await infra.restartPostgres(quick ? 2_000 : 5_000);
    },
  },
  {
    name: 'OpenSearch SIGSTOP + SIGCONT',
    async inject({ infra }) {
      infra.pauseOpenSearch();
      try {
        await sleep(quick ? 5_000 : 15_000);
      } finally {
        infra.resumeOpenSearch();
      }
    },
  },
  {
    name: 'poison messages on the intake topic',
    async inject({ stack, load, publisher, kafka, notes }) {
      const intake = topicName('intake', stack.namespace);
      const dlq = topicName('dlq', stack.namespace);
      const before = await topicSize(kafka, dlq);
      const valid = load.allocate('poison messages on the intake topic', 0, 50, performance.now());
      const tenant = stack.tenants[0]!;
      const poison = ['not json at all', '{"tenant":"x"}', JSON.stringify({ tenant: 'Bad_Tenant', event: valid.events[0] }), JSON.stringify({ tenant, event: { ...valid.events[0], occurredAt: '2999-01-01T00:00:00.000Z' } }), JSON.stringify({ tenant, event: { ...valid.events[0], surprise: true } })];
      const messages = valid.events.flatMap((event, i) => [{ key: tenant, value: JSON.stringify({ tenant, event }) }, ...(i % 10 === 0 ? [{ key: tenant, value: poison[(i / 10) % poison.length]! }] : [])]);
      await publisher.publishRaw(intake, messages);
      for (let n = valid.first; n < valid.first + valid.events.length; n++) load.markAccepted(n);
      const poisonCount = messages.length - valid.events.length;
      const reached = await waitFor(async () => (await topicSize(kafka, dlq)) - before >= poisonCount, 60_000, 500);
      notes.push(`${poisonCount} poison messages among ${valid.events.length} valid; DLQ grew by ${(await topicSize(kafka, dlq)) - before}${reached ? '' : ' (expected at least that many)'}`);
      if (!reached) throw new Error('poison messages did not all reach the DLQ');
    },
  },
  {
    name: 'duplicate deliveries',
    async inject({ stack, load, publisher, notes }) {
      // 1. The same HTTP requests again with the same Idempotency-Key (an emitter retrying after a lost answer).
      const again = load.sentBodies.slice(-50);
      const result = emptyResult();
      for (const r of again) await load.post(r.tenant, r.first, r.body, performance.now(), result);
      // 2. The same accepted events twice on audit.ingested.v1 (a producer retry the broker did not de-duplicate).
      const { first, events } = load.allocate('duplicate deliveries', 1, 100, performance.now());
      const now = new Date();
      const accepted = events.map((e) => ({ version: 1, ...e, tenant: stack.tenants[1]!, id: uuidv7(now), receivedAt: now.toISOString() }) as AcceptedEvent);
      for (let i = 0; i < 3; i++) await publisher.publish('ingested', accepted.map((value) => ({ key: value.tenant, value })));
      for (let n = first; n < first + events.length; n++) load.markAccepted(n);
      notes.push(`${again.length} requests re-sent with their Idempotency-Key (${result.acceptedEvents} events answered 202 again); 100 accepted events published 3× on the ingested topic`);
    },
  },
  {
    name: '10× burst',
    async inject({ load, notes }) {
      const burst = await load.openLoop('10× burst', RATE * 9, quick ? 3 : 6, BATCH * 5);
      notes.push(`burst: ${burst.events} extra events at ${RATE * 10}/s total offered; ${burst.retries} retries (${JSON.stringify(burst.errors)})`);
    },
  },
];

async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Outcome {
  fault: string;
  sent: number;
  accepted: number;
  committed: number;
  searchable: number;
  lost: number;
  duplicated: number;
  committedWithoutAccept: number;
  converged: boolean;
  seconds: number;
  notes: string[];
  failures: string[];
}

function tally(tracker: Tracker, phase: string, dupBefore: number): Omit<Outcome, 'fault' | 'converged' | 'seconds' | 'notes' | 'failures'> {
  let sent = 0;
  let accepted = 0;
  let committed = 0;
  let searchable = 0;
  let committedWithoutAccept = 0;
  for (let n = 0; n < tracker.scheduledAt.length; n++) {
    if (tracker.phaseOf[n] !== phase) continue;
    sent++;
    const seq = tracker.seqOf.get(n);
    if (tracker.accepted[n]) accepted++;
    if (seq === undefined) continue;
    if (tracker.accepted[n]) committed++;
    else committedWithoutAccept++;
    if (seq <= tracker.searchableMax(tracker.tenantOf[n]!)) searchable++;
  }
  return { sent, accepted, committed, searchable, lost: accepted - committed, duplicated: tracker.duplicates - dupBefore, committedWithoutAccept };
}

/** Ledger gapless per tenant, OpenSearch holding exactly the ledger's records, both projections at the head. */
async function converged(stack: PipelineStack): Promise<string[]> {
  const problems: string[] = [];
  for (const tenant of stack.tenants) {
    const { rows } = await stack.pool.query<{ n: string; max: string | null }>('SELECT count(*) AS n, max(seq) AS max FROM ledger.records WHERE tenant = $1', [tenant]);
    const n = Number(rows[0]?.n ?? 0);
    const max = Number(rows[0]?.max ?? 0);
    if (n !== max) problems.push(`${tenant}: ${n} records but max seq ${max} (gap)`);
    await stack.os.indices.refresh({ index: `${stack.indexPrefix}-${tenant}_*`, ignore_unavailable: true, allow_no_indices: true } as never);
    const docs = (await stack.os.count({ index: `${stack.indexPrefix}-${tenant}_*`, ignore_unavailable: true, allow_no_indices: true } as never)).body.count;
    if (docs !== n) problems.push(`${tenant}: OpenSearch has ${docs} documents, ledger ${n}`);
    const pos = await stack.pool.query<{ projection: string; last_seq: string }>('SELECT projection, last_seq FROM query.projection_positions WHERE tenant = $1', [tenant]);
    for (const p of pos.rows) if (Number(p.last_seq) !== max) problems.push(`${tenant}: projection ${p.projection} at ${p.last_seq}, ledger at ${max}`);
    if (pos.rows.length === 0 && n > 0) problems.push(`${tenant}: no projection positions`);
  }
  return problems;
}

/**
 * "Alerts fire once": a match rule per tenant on `type:access.granted`, grouped by actor, installed before
 * the faults through the API. Afterwards, however often the query service was killed and records were
 * redelivered: one alert per actor that granted access, its fire count equal to that actor's grants in the
 * ledger (each event counted once), and exactly one `fired` ledger event per alert.
 */
const ALERT_RULE_ID = 'faults-access-grants';
let alertOutcome: { ok: boolean; problems: string[]; counts?: Record<string, { alerts: number; grants: number; firings: number }> } | undefined;
const alertCounts: Record<string, { alerts: number; grants: number; firings: number }> = {};

async function installAlertRule(stack: PipelineStack): Promise<void> {
  for (const tenant of stack.tenants) {
    const token = await stack.token(tenant, 'faults-admin', ['admin']);
    const res = await fetch(`${stack.services.query.url}/v1/alert-rules/${ALERT_RULE_ID}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'faults: access granted, per actor', type: 'match', filter: 'type:access.granted', groupBy: 'actor', severity: 'low' }),
    });
    if (!res.ok) throw new Error(`installing alert rule for ${tenant}: HTTP ${res.status} ${await res.text()}`);
  }
}

async function alertsFiredOnce(stack: PipelineStack): Promise<string[]> {
  const problems: string[] = [];
  for (const tenant of stack.tenants) {
    const grants = await stack.pool.query<{ actor: string; n: string }>(
      `SELECT canonical::jsonb->'actor'->>'id' AS actor, count(*) AS n FROM ledger.records WHERE tenant = $1 AND type = 'access.granted' GROUP BY 1`,
      [tenant],
    );
    const alerts = await stack.pool.query<{ id: string; group_key: string; fire_count: number }>(
      'SELECT id, group_key, fire_count FROM query.alerts WHERE tenant = $1 AND rule_id = $2',
      [tenant, ALERT_RULE_ID],
    );
    const fired = await stack.pool.query<{ alert: string; n: string }>(
      `SELECT canonical::jsonb->'resource'->>'id' AS alert, count(*) AS n FROM ledger.records
        WHERE tenant = $1 AND type = 'alert.fired' AND canonical::jsonb->'details'->>'ruleId' = $2 AND canonical::jsonb->'details'->>'transition' = 'fired'
        GROUP BY 1`,
      [tenant, ALERT_RULE_ID],
    );
    if (grants.rows.length === 0) problems.push(`${tenant}: no access.granted events to alert on`);
    const byGroup = new Map<string, { id: string; fire_count: number }[]>();
    for (const a of alerts.rows) byGroup.set(a.group_key, [...(byGroup.get(a.group_key) ?? []), a]);
    for (const g of grants.rows) {
      const found = byGroup.get(g.actor) ?? [];
      if (found.length !== 1) problems.push(`${tenant}: ${found.length} alerts for actor ${g.actor} (want 1)`);
      else if (found[0]!.fire_count !== Number(g.n)) problems.push(`${tenant}: alert for ${g.actor} counted ${found[0]!.fire_count} firings, the ledger holds ${g.n} grants`);
    }
    alertCounts[tenant] = { alerts: alerts.rows.length, grants: grants.rows.reduce((n, g) => n + Number(g.n), 0), firings: alerts.rows.reduce((n, a) => n + a.fire_count, 0) };
    if (alerts.rows.length !== grants.rows.length) problems.push(`${tenant}: ${alerts.rows.length} alerts for ${grants.rows.length} actors`);
    const firedBy = new Map(fired.rows.map((r) => [r.alert, Number(r.n)]));
    for (const a of alerts.rows) if (firedBy.get(a.id) !== 1) problems.push(`${tenant}: alert ${a.id} has ${firedBy.get(a.id) ?? 0} 'fired' ledger events (want 1)`);
  }
  return problems;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const infra = new PrivateInfra();
  log('private Postgres (initdb), Kafka and OpenSearch under .local/faults');
  const endpoints = await infra.up();
  const stack = new PipelineStack({ infra: endpoints, database: 'audit_faults', basePort: Number(opts['base-port']), tenants: 3 });
  let publisher: KafkaPublisher | undefined;
  const outcomes: Outcome[] = [];
  let verify: { tenant: string; ok: boolean; detail?: string }[] = [];
  const stopAll = async () => {
    await publisher?.disconnect().catch(() => undefined);
    await stack.down().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    infra.down();
  };
  process.once('SIGINT', () => {
    aborted = true;
    // Keep what was measured so far: an interrupted run still reports the faults it finished.
    writeReport(startedAt, outcomes, verify, true);
    void stopAll().finally(() => process.exit(130));
  });
  try {
    log(`stack up: namespace ${stack.namespace}`);
    await stack.up();
    const kafka = createKafka({ brokers: endpoints.kafkaBrokers.split(','), clientId: `${stack.namespace}-faults`, logger: createLogger('faults', 'error') });
    publisher = new KafkaPublisher(kafka, { namespace: stack.namespace });
    await publisher.connect();
    await installAlertRule(stack);
    const tracker = new Tracker(stack.tenants, stack.pool, stack.os, `${stack.indexPrefix}-*`, 50);
    tracker.start();
    const load = new LoadGenerator(() => stack.services.ingest.url, stack.emitters, tracker, stack.run, true);
    const selected = FAULTS.filter((f) => !opts.only || f.name.toLowerCase().includes(opts.only.toLowerCase()));
    for (const fault of selected) {
      log(`fault: ${fault.name} (steady ${RATE} events/s)`);
      const notes: string[] = [];
      const failures: string[] = [];
      const t0 = performance.now();
      const dupBefore = tracker.duplicates;
      let stopLoad = false;
      const steady = load.openLoop(fault.name, RATE, 3600, BATCH, () => stopLoad || aborted);
      await sleep(2_000);
      try {
        await fault.inject({ infra, stack, load, tracker, publisher, kafka, notes });
      } catch (error) {
        failures.push(`fault step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await sleep(3_000);
      stopLoad = true;
      const steadyResult = await steady;
      if (steadyResult.retries) notes.push(`emitter retried ${steadyResult.retries} requests (${JSON.stringify(steadyResult.errors)})`);
      for (const s of Object.values(stack.services)) {
        if (!s.running) {
          failures.push(`${s.name} exited during the fault`);
          s.start();
          await s.waitReady();
        }
      }
      const drained = await drain(tracker, fault.name, DRAIN_MS);
      let problems: string[] = [];
      const ok = await waitFor(async () => (problems = await converged(stack)).length === 0, CONVERGE_MS, 1_000);
      const counts = tally(tracker, fault.name, dupBefore);
      if (counts.lost > 0) failures.push(`${counts.lost} accepted events lost`);
      if (counts.duplicated > 0) failures.push(`${counts.duplicated} events duplicated in the ledger`);
      if (!drained.drained) failures.push(`not drained: ${drained.pendingCommitted} uncommitted, ${drained.pendingSearchable} tenants behind in search`);
      if (!ok) failures.push(`projections did not converge: ${problems.join('; ')}`);
      if (counts.searchable < counts.committed) failures.push(`${counts.committed - counts.searchable} committed events not searchable`);
      const outcome = { fault: fault.name, ...counts, converged: ok, seconds: Math.round((performance.now() - t0) / 1000), notes, failures };
      outcomes.push(outcome);
      log(`  ${JSON.stringify({ ...outcome, notes: undefined })}`);
    }
    await tracker.stop();
    let alertProblems: string[] = [];
    const alertsOk = await waitFor(async () => (alertProblems = await alertsFiredOnce(stack)).length === 0, CONVERGE_MS, 2_000);
    alertOutcome = { ok: alertsOk, problems: alertProblems.slice(0, 20), counts: alertCounts };
    log(`alerts fire once: ${alertsOk ? 'yes' : `NO — ${alertProblems.slice(0, 5).join('; ')}`} (${JSON.stringify(alertCounts)})`);
    verify = await Promise.all(
      stack.tenants.map(async (tenant) => {
        const res = await verifyTenantLedger(stack.pool, tenant, [stack.verifierKey]);
        return { tenant, ok: res.ok, ...(res.ok ? {} : { detail: JSON.stringify(res).slice(0, 300) }) };
      }),
    );
  } finally {
    await stopAll();
  }

  const passed = writeReport(startedAt, outcomes, verify, false);
  process.exit(passed ? 0 : 1);
}

function writeReport(startedAt: Date, outcomes: Outcome[], verify: { tenant: string; ok: boolean; detail?: string }[], interrupted: boolean): boolean {
  const failed = outcomes.filter((o) => o.failures.length > 0);
  const verifyFailed = verify.filter((v) => !v.ok);
  const report = {
    kind: quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    command: `npm run faults -- ${process.argv.slice(2).join(' ')}`.trim(),
    steadyLoad: { eventsPerSecond: RATE, batch: BATCH, kills: KILLS },
    outcomes,
    verify,
    alertsFireOnce: alertOutcome ?? { ok: false, problems: ['not checked (the run did not get that far)'] },
    interrupted,
    passed: !interrupted && failed.length === 0 && verifyFailed.length === 0 && alertOutcome?.ok === true,
  };
  const out = opts.out ?? join(REPO_ROOT, 'bench', 'results', `${startedAt.toISOString().slice(0, 16).replace(/:/g, '')}Z-faults${quick ? '-quick' : ''}${interrupted ? '-interrupted' : ''}.json`);
  mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const head = ['fault', 'sent', 'accepted', 'committed', 'searchable', 'lost', 'dup', 'converged', 's'];
  const rows = outcomes.map((o) => [o.fault, o.sent, o.accepted, o.committed, o.searchable, o.lost, o.duplicated, o.converged ? 'yes' : 'NO', o.seconds]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n\n`);
  for (const o of outcomes) for (const n of [...o.notes, ...o.failures.map((f) => `FAIL ${f}`)]) process.stdout.write(`${o.fault}: ${n}\n`);
  process.stdout.write(`verify: ${verify.map((v) => `${v.tenant} ${v.ok ? 'ok' : `FAILED ${v.detail}`}`).join(', ')}\n${report.passed ? 'PASS' : 'FAIL'} — written to ${out}\n`);
  return report.passed;
}

main().catch((error: unknown) => {
  process.stderr.write(`faults failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
