import { z } from 'zod';
import { baseEnv, port, serviceCredentialEnv } from '@audit/config';
import { authEnv } from '@audit/auth';

/** Environment of the approval-policy service; parsed once in main.ts before Nest starts. */
export const ApprovalPolicyEnv = {
  ...baseEnv,
  ...serviceCredentialEnv,
  ...authEnv,
  PORT: port(3002),
  /** Consumer group of the change view; prefixed with KAFKA_TOPIC_NAMESPACE when one is set. */
  VIEW_CONSUMER_GROUP: z.string().min(1).max(200).default('approval-policy.change-view.v1'),
  /** How often overdue break-glass reviews are looked for (0 turns the sweeper off). */
  OVERDUE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** Off only for tools that use the module without consuming (the gate bench's second instance). */
  VIEW_CONSUMER_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
};

export function viewConsumerGroup(config: { VIEW_CONSUMER_GROUP: string; KAFKA_TOPIC_NAMESPACE: string }): string {
  return config.KAFKA_TOPIC_NAMESPACE ? `${config.KAFKA_TOPIC_NAMESPACE}.${config.VIEW_CONSUMER_GROUP}` : config.VIEW_CONSUMER_GROUP;
}
