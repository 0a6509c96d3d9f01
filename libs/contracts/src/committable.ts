import type { z } from 'zod';
import { isWellFormed, loneSurrogate } from './strict-json';

/**
 * What makes a parsed value committable to the ledger (RFC 8785 canonical JSON) whatever door it came
 * through — HTTP (already strict-decoded), the intake topic, an internal emitter building objects in
 * code: every string and key well-formed Unicode, every number finite and within ±(2^53−1), nesting
 * bounded. Checked on AuditEventInput and AcceptedEvent BEFORE anything serializes the event (the size
 * check's JSON.stringify overflowed the stack on 5 000 nested objects).
 */
export const COMMITTABLE_LIMITS = {
  /** Most nested objects/arrays in a whole event (the event is level 1; `details` allows 8 of its own). */
  maxDepth: 16,
  /** Problems reported per event (the walk stops after them). */
  maxIssues: 20,
} as const;

export interface CommittableIssue {
  path: (string | number)[];
  message: string;
}

interface Node {
  value: unknown;
  depth: number;
  parent: Node | undefined;
  segment: string | number;
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | undefined = node; n?.parent !== undefined; n = n.parent) path.push(n.segment);
  return path.reverse();
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Walks `value` iteratively (no recursion, so any depth is safe) and lists what the ledger could not commit. */
export function committableIssues(value: unknown, limits: { maxDepth: number; maxIssues: number } = COMMITTABLE_LIMITS): CommittableIssue[] {
  const issues: CommittableIssue[] = [];
  const stack: Node[] = [{ value, depth: 0, parent: undefined, segment: '' }];
  while (stack.length > 0 && issues.length < limits.maxIssues) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (typeof v === 'string') {
      if (!isWellFormed(v)) issues.push({ path: pathOf(node), message: `must be well-formed Unicode: lone UTF-16 surrogate \\u${loneSurrogate(v)}` });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) issues.push({ path: pathOf(node), message: 'numbers must be finite' });
      else if (Math.abs(v) > Number.MAX_SAFE_INTEGER) issues.push({ path: pathOf(node), message: 'numbers must be within ±(2^53−1) (±9007199254740991) to be exact; send larger ones as strings' });
    } else if (typeof v === 'object' && v !== null && (Array.isArray(v) || isPlainObject(v))) {
      const depth = node.depth + 1;
      if (depth > limits.maxDepth) {
        issues.push({ path: pathOf(node), message: `nests deeper than ${limits.maxDepth} levels` });
        continue;
      }
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth, parent: node, segment: i });
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i] as string;
          if (!isWellFormed(key)) issues.push({ path: pathOf(node), message: `key ${JSON.stringify(key)} must be well-formed Unicode: lone UTF-16 surrogate \\u${loneSurrogate(key)}` });
          else stack.push({ value: v[key], depth, parent: node, segment: key });
        }
      }
    }
  }
  return issues;
}

/** The zod side: adds each problem as an issue; true when there was none (so serializing is safe). */
export function checkCommittable(value: unknown, ctx: z.RefinementCtx): boolean {
  const issues = committableIssues(value);
  for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return issues.length === 0;
}
