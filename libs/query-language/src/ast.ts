/**
 * The syntax tree of the search language. Values stay as the user typed them (minus quotes); what a
 * field means, how a wildcard is bounded and how a date is read are decided by the parser against the
 * field whitelist, so the translator only ever sees checked nodes.
 */
export type QueryNode =
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  /** `field:value` on a keyword field, exact. */
  | { kind: 'term'; field: SearchField; value: string }
  /** `field:val*` on a keyword field: `*` is the only wildcard; every other character is literal. */
  | { kind: 'wildcard'; field: SearchField; pattern: string }
  /** `after:` / `before:`: `after` is inclusive, `before` exclusive; both are UTC instants. */
  | { kind: 'range'; bound: 'after' | 'before'; at: string }
  /** Bare word(s) or a quoted phrase: full text over the text fields. */
  | { kind: 'text'; text: string; phrase: boolean };

/** Fields users may name, and the document field each maps to. Anything else is refused by the parser. */
export const SEARCH_FIELDS = {
  actor: 'actor.id',
  type: 'type',
  env: 'resource.environment',
  environment: 'resource.environment',
  resource: 'resource.id',
  kind: 'resource.kind',
  outcome: 'outcome',
  change: 'changeId',
  artifact: 'artifact.digest',
  team: 'actor.teams',
  role: 'actor.roles',
  source: 'source.system',
  id: 'id',
  /** Who asserted it (server-set provenance): its kind (`api_key`, `webhook`, `service`, …) and its id. */
  provenance: 'provenance.kind',
  asserter: 'provenance.id',
} as const;
export type SearchFieldName = keyof typeof SEARCH_FIELDS;
export type SearchField = (typeof SEARCH_FIELDS)[SearchFieldName];

export const DATE_FIELDS = ['after', 'before'] as const;

/** Bounds that keep one query cheap for the cluster, whoever typed it. */
export const QUERY_LIMITS = {
  maxQueryLength: 1024,
  maxClauses: 32,
  /** Nesting of negations and parentheses together. */
  maxDepth: 8,
  /** Terms + negations + groups. */
  maxNodes: 64,
  maxValueLength: 256,
  maxWildcards: 3,
  /** Characters required before the first `*` (no leading wildcards: they scan the whole term dictionary). */
  minWildcardPrefix: 2,
} as const;

export interface QuerySyntaxError {
  message: string;
  /** 0-based character offset into the query where the problem was found. */
  position: number;
  /** What the parser would have accepted at that position. */
  expected: string[];
}

export type ParseResult = { ok: true; ast: QueryNode | null } | { ok: false; error: QuerySyntaxError };
