import { baseEnv, port } from '@audit/config';

/** Environment of the approval-policy service; parsed once in main.ts before Nest starts. */
export const ApprovalPolicyEnv = {
  ...baseEnv,
  PORT: port(3002),
};
