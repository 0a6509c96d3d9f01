import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@audit/config';
import { createPool } from '@audit/db';
import { createKafka } from '@audit/kafka';
import { createLogger } from '@audit/observability';
import { ApprovalPolicyEnv } from './config';
import { ChangeViewRepository } from './ledger-view/change-view.repository';
import { rebuildView } from './ledger-view/rebuild-view';

/**
 * Rebuilds the change view from the committed log:
 *   node -r @swc-node/register apps/approval-policy/src/rebuild.ts [--tenant <tenant>]
 * Same environment as the service (DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC_NAMESPACE).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tenant: { type: 'string' } }, strict: true });
  const config = loadConfigOrExit('approval-policy-rebuild', ApprovalPolicyEnv);
  const logger = createLogger('approval-policy-rebuild', config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, { max: 2 });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'approval-policy-rebuild', logger, security: config });
  try {
    const result = await rebuildView({
      kafka,
      pool,
      view: new ChangeViewRepository(pool),
      logger,
      namespace: config.KAFKA_TOPIC_NAMESPACE,
      ...(values.tenant ? { tenant: values.tenant } : {}),
    });
    logger.info(result, 'change view rebuilt');
  } finally {
    await pool.end();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`rebuild failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
