import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { celEnvironment, toCelContext, type CelActivation } from './cel-environment';
import { fillQuorum } from '@audit/change-lifecycle';
import { GITHUB_REVIEWER_GROUP, PolicyDocument, type Requirement } from './policy.document';

/** One problem in a policy: `path` like `rules[2].when`; CEL errors add where in the expression. */
export interface PolicyIssue {
  path: string;
  message: string;
  /** 0-based offset plus 1-based line/column of the CEL error inside the expression. */
  position?: { offset: number; line: number; column: number; end: number };
}

export interface CompiledRule {
  index: number;
  name: string;
  when: string;
  require: Requirement;
  matches(activation: CelActivation): boolean;
}

export interface CompiledPolicy {
  document: PolicyDocument;
  /** SHA-256 of the canonical document (sorted keys): identifies exactly what was evaluated. */
  digest: string;
  rules: CompiledRule[];
}

export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; issues: PolicyIssue[] };

/** `rules.2.when` → `rules[2].when`: the form policy authors read in their YAML. */
export function policyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function position(expression: string, range: { start: number; end: number } | undefined): PolicyIssue['position'] {
  if (!range) return undefined;
  const before = expression.slice(0, range.start).split('\n');
  return { offset: range.start, end: range.end, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function celIssues(when: string, path: string): PolicyIssue[] {
  let error: { summary?: string; message: string; range?: { start: number; end: number } } | undefined;
  let type: string | undefined;
  try {
    const result = celEnvironment().check(when);
    if (result.valid) type = result.type;
    else error = result.error;
  } catch (thrown) {
    error = thrown instanceof Error ? (thrown as typeof error) : { message: String(thrown) };
  }
  if (error) {
    const pos = position(when, error.range);
    const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
    return [{ path, message: `CEL error${where}: ${error.summary ?? error.message.split('\n')[0]}`, ...(pos ? { position: pos } : {}) }];
  }
  if (type !== 'bool') return [{ path, message: `CEL condition must be a bool, this one is ${type ?? 'of unknown type'}` }];
  return [];
}

function requirementIssues(req: Requirement, path: string, members: Map<string, readonly string[]>): PolicyIssue[] {
  if (!('approvals' in req)) return [];
  const issues: PolicyIssue[] = [];
  for (const [j, need] of req.approvals.entries()) {
    const at = `${path}.approvals[${j}]`;
    if (need.group === GITHUB_REVIEWER_GROUP) {
      if (!req.acceptGithubReviews) issues.push({ path: `${at}.group`, message: `group ${GITHUB_REVIEWER_GROUP} needs acceptGithubReviews: true` });
    } else if (!members.has(need.group)) {
      issues.push({ path: `${at}.group`, message: `unknown group "${need.group}": declare it under groups` });
      continue;
    }
    if (need.count < 1) issues.push({ path: `${at}.count`, message: `impossible quorum: count must be at least 1 (got ${need.count})` });
    const size = members.get(need.group)?.length;
    if (size !== undefined && need.count > size) {
      issues.push({ path: `${at}.count`, message: `impossible quorum: ${need.count} approvals from "${need.group}", which has ${size} member(s)` });
    }
  }
  const dup = req.approvals.find((n, i) => req.approvals.findIndex((m) => m.group === n.group) !== i);
  if (dup) issues.push({ path: `${path}.approvals`, message: `group "${dup.group}" is listed twice; give one entry with the total count` });
  if (issues.length > 0) return issues;
  // Each person fills one seat: "2 sre + 1 security" with three people in total but only two distinct ones is impossible.
  const known = req.approvals.filter((n) => n.group !== GITHUB_REVIEWER_GROUP);
  const people = new Map<string, string[]>();
  for (const n of known) for (const m of members.get(n.group) ?? []) people.set(m, [...(people.get(m) ?? []), n.group]);
  const quorum = fillQuorum(known, [...people].map(([id, groups]) => ({ id, groups })));
  if (!quorum.satisfied) {
    const short = quorum.missing.map((m) => `${m.group} ${m.have}/${m.needed}`).join(', ');
    issues.push({ path: `${path}.approvals`, message: `impossible quorum: the declared members cannot fill every seat with distinct people (${short})` });
  }
  return issues;
}

/**
 * Validates and compiles a policy document: schema, every CEL condition type-checked against the
 * documented activation, groups declared, quorums reachable. Pure; returns every problem at once.
 */
export function compilePolicy(input: unknown): CompileResult {
  const parsed = PolicyDocument.safeParse(input);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const doc = parsed.data;
  const issues: PolicyIssue[] = [];
  const members = new Map<string, readonly string[]>();
  for (const [i, g] of doc.groups.entries()) {
    if (members.has(g.name)) issues.push({ path: `groups[${i}].name`, message: `group "${g.name}" is declared twice` });
    members.set(g.name, [...new Set(g.members)]);
  }
  const names = new Set<string>();
  for (const [i, rule] of doc.rules.entries()) {
    if (names.has(rule.name)) issues.push({ path: `rules[${i}].name`, message: `rule name "${rule.name}" is used twice` });
    names.add(rule.name);
    issues.push(...celIssues(rule.when, `rules[${i}].when`));
    issues.push(...requirementIssues(rule.require, `rules[${i}].require`, members));
  }
  issues.push(...requirementIssues(doc.default, 'default', members));
  if (issues.length > 0) return { ok: false, issues };

  const env = celEnvironment();
  const rules = doc.rules.map((rule, index): CompiledRule => {
    const program = env.parse(rule.when);
    return { index, name: rule.name, when: rule.when, require: rule.require, matches: (a) => program(toCelContext(a)) === true };
  });
  return { ok: true, policy: { document: doc, digest: policyDigest(doc), rules } };
}

export function policyDigest(doc: PolicyDocument): string {
  return `sha256:${createHash('sha256').update(canonical(doc)).digest('hex')}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function zodIssues(error: z.ZodError): PolicyIssue[] {
  return error.issues.map((issue) => {
    // A union failing reports "invalid input"; say what the three shapes are.
    if (issue.code === 'invalid_union' && issue.path.at(-1) !== undefined && ['require', 'default'].includes(String(issue.path.at(-1)))) {
      return { path: policyPath(issue.path), message: 'must be {allow: true}, {deny: "<reason>"} or {approvals: [{group, count}], validFor?, breakGlass?, acceptGithubReviews?}' };
    }
    if (issue.code === 'unrecognized_keys') return { path: policyPath(issue.path), message: `unknown field(s): ${issue.keys.join(', ')}` };
    return { path: policyPath(issue.path), message: issue.message };
  });
}
