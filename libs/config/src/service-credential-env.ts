import { z } from 'zod';

/** Same bound as `MIN_SERVICE_SECRET_LENGTH` in libs/ledger-core (config may not import the core's crypto). */
const MIN_LENGTH = 32;

/**
 * The per-deployment secret our services sign their events with and the ledger checks (README, "Service
 * credential"). Required: a service without it could neither prove who it is nor check others. Comma-
 * separated to rotate: the first signs, all verify. `npm start` and the test harness generate one; in a
 * cluster it comes from a Secret.
 */
export const serviceCredentialEnv = {
  SERVICE_CREDENTIAL_SECRET: z
    .string({ message: `is required: a random secret of at least ${MIN_LENGTH} characters shared by the services (npm start generates one into .local)` })
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .refine((list) => list.length > 0 && list.every((s) => s.length >= MIN_LENGTH), { message: `every secret must be at least ${MIN_LENGTH} characters` }),
};
