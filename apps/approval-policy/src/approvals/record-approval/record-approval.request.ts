import { z } from 'zod';
import { sha256Digest, text } from '@audit/contracts';

/** Body of `POST /v1/changes/:changeId/approvals`. The approver is the token's subject, never the body. */
export const RecordApprovalRequest = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  comment: text(4096).optional(),
  /** The plan the approver reviewed: approvals are bound to it. */
  planDigest: sha256Digest,
});
export type RecordApprovalRequest = z.output<typeof RecordApprovalRequest>;

export const CHANGE_ID = /^[^\u0000-\u001f\u007f]{1,128}$/;
