import { z } from 'zod';
import { line, sha256Digest, slug } from '@audit/contracts';

/** Body of `POST /v1/gate`: what a pipeline is about to apply. */
export const GateRequest = z.strictObject({
  changeId: line(128),
  environment: slug(64),
  planDigest: sha256Digest,
  artifactDigest: sha256Digest.optional(),
});
export type GateRequest = z.output<typeof GateRequest>;
