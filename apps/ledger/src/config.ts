import { baseEnv, port } from '@audit/config';

/** Environment of the ledger service; parsed once in main.ts before Nest starts. */
export const LedgerEnv = {
  ...baseEnv,
  PORT: port(3003),
};
