import { baseEnv, port } from '@audit/config';

/** Environment of the query service; parsed once in main.ts before Nest starts. */
export const QueryEnv = {
  ...baseEnv,
  PORT: port(3004),
};
