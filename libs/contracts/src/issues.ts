import type { z } from 'zod';

/** One validation problem, as every 4xx body and DLQ record reports it. */
export interface FieldIssue {
  /** JSON-pointer-like dotted path, e.g. `actor.roles.2`; empty for the whole document. */
  path: string;
  /** The rule that failed, in words. */
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { path: formatPath(issue.path), message: `unknown field(s): ${issue.keys.join(', ')}` };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}
