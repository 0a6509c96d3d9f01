/**
 * Gate throughput and latency: the approval-policy app in-process (Fastify inject, no network hop) on
 * the real Postgres and Kafka, with the real ledger feeding its view. Each gate call reads the change's
 * events and the policy from Postgres, decides, and publishes policy.evaluated + gate.decided with
 * acks=all before answering — that last step dominates.
 *
 *   node -r @swc-node/register apps/approval-policy/bench/gate.bench.ts [--requests 2000] [--concurrency 32] [--changes 50]
 *
 * Uses DATABASE_URL (default: the audit_test database) and KAFKA_BROKERS; runs the migrations first.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { runGateBench } from '../test/support/gate-bench';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string' }, concurrency: { type: 'string' }, changes: { type: 'string' } }, strict: true });
  const result = await runGateBench({ requests: Number(values.requests ?? 2000), concurrency: Number(values.concurrency ?? 32), changes: Number(values.changes ?? 50) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
