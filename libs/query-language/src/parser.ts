import {
  DATE_FIELDS,
  QUERY_LIMITS,
  SEARCH_FIELDS,
  type ParseResult,
  type QueryNode,
  type QuerySyntaxError,
  type SearchFieldName,
} from './ast';

/**
 * Recursive-descent parser of the search language (grammar in apps/query/README.md):
 *
 *   query   := or? EOF
 *   or      := and ( "OR" and )*
 *   and     := unary ( "AND"? unary )*          -- juxtaposition is AND
 *   unary   := "-" unary | primary              -- no space between "-" and what it negates
 *
 * Bounds (QUERY_LIMITS): a negation nests like a group, both count toward maxDepth; terms, negations and
 * groups together toward maxNodes.
 *   primary := "(" or ")" | field ":" value | '"' phrase '"' | word
 *
 * It is scannerless on purpose: what a character means depends on where it stands (`:` inside a date
 * value is not a field separator), which a context-free tokenizer would get wrong. Every error carries
 * the offset where it was found and what would have been accepted there.
 */
export function parseQuery(source: string): ParseResult {
  if (source.length > QUERY_LIMITS.maxQueryLength) {
    return fail({
      message: `the query is longer than ${QUERY_LIMITS.maxQueryLength} characters`,
      position: QUERY_LIMITS.maxQueryLength,
      expected: ['end of query'],
    });
  }
  try {
    return { ok: true, ast: new Parser(source).parse() };
  } catch (error) {
    if (error instanceof SyntaxFailure) return fail(error.detail);
    throw error;
  }
}

const fail = (error: QuerySyntaxError): ParseResult => ({ ok: false, error });

class SyntaxFailure extends Error {
  constructor(readonly detail: QuerySyntaxError) {
    super(detail.message);
  }
}

const TERM_START = ['field:value', 'word', '"phrase"', '(', '-'];
const FIELD_NAMES = [...Object.keys(SEARCH_FIELDS), ...DATE_FIELDS];
const FIELD_PREFIX = /[A-Za-z_][A-Za-z0-9_.]*:/y;
const WORD_END = /[\s()"]/;

class Parser {
  private pos = 0;
  private clauses = 0;
  /** Terms, negations and groups: what the translation turns into nested DSL objects. */
  private nodes = 0;

  constructor(private readonly src: string) {}

  parse(): QueryNode | null {
    this.skipSpace();
    if (this.atEnd()) return null;
    const node = this.parseOr(0);
    this.skipSpace();
    if (!this.atEnd()) {
      const found = this.src[this.pos] === ')' ? 'an unbalanced ")"' : `"${this.src[this.pos]}"`;
      this.error(`unexpected ${found}`, ['end of query', 'OR', ...TERM_START]);
    }
    return node;
  }

  private parseOr(depth: number): QueryNode {
    const children = [this.parseAnd(depth)];
    for (;;) {
      this.skipSpace();
      if (!this.keywordAhead('OR')) break;
      this.pos += 2;
      this.skipSpace();
      children.push(this.parseAnd(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private parseAnd(depth: number): QueryNode {
    const children = [this.parseUnary(depth)];
    for (;;) {
      this.skipSpace();
      if (this.atEnd() || this.src[this.pos] === ')' || this.keywordAhead('OR')) break;
      if (this.keywordAhead('AND')) {
        this.pos += 3;
        this.skipSpace();
      }
      children.push(this.parseUnary(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private parseUnary(depth: number): QueryNode {
    this.skipSpace();
    if (this.src[this.pos] === '-') {
      // A negation nests one level in the translation as a group does: `------…x` must be as bounded as `((((…x`.
      if (depth + 1 > QUERY_LIMITS.maxDepth) this.error(`negations and parentheses nest deeper than ${QUERY_LIMITS.maxDepth} levels`, TERM_START.slice(0, 3));
      this.count();
      this.pos++;
      if (this.atEnd() || /\s/.test(this.src[this.pos]!)) this.error('"-" must be followed directly by what it negates', TERM_START.slice(0, 4));
      return { kind: 'not', child: this.parseUnary(depth + 1) };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): QueryNode {
    this.skipSpace();
    if (this.atEnd()) this.error('the query ends where a term was expected', TERM_START);
    const ch = this.src[this.pos]!;
    if (ch === '(') {
      if (depth + 1 > QUERY_LIMITS.maxDepth) this.error(`negations and parentheses nest deeper than ${QUERY_LIMITS.maxDepth} levels`, TERM_START.slice(0, 3));
      this.count();
      this.pos++;
      this.skipSpace();
      if (this.src[this.pos] === ')') this.error('empty parentheses', TERM_START);
      const inner = this.parseOr(depth + 1);
      this.skipSpace();
      if (this.src[this.pos] !== ')') this.error(this.atEnd() ? 'unclosed "("' : `unexpected "${this.src[this.pos]}"`, [')', 'OR', ...TERM_START]);
      this.pos++;
      return inner;
    }
    if (ch === ')') this.error('unexpected ")"', TERM_START);
    if (this.keywordAhead('OR') || this.keywordAhead('AND')) this.error(`"${this.keywordAhead('OR') ? 'OR' : 'AND'}" needs a term before it`, TERM_START);
    if (ch === '"') {
      const start = this.pos;
      const text = this.readQuoted();
      if (text.trim() === '') this.error('empty phrase', ['a non-empty "phrase"'], start);
      return this.clause({ kind: 'text', text, phrase: true }, start);
    }
    FIELD_PREFIX.lastIndex = this.pos;
    const prefix = FIELD_PREFIX.exec(this.src);
    if (prefix) return this.parseFieldTerm(prefix[0].slice(0, -1));
    return this.parseWord();
  }

  private parseFieldTerm(name: string): QueryNode {
    const start = this.pos;
    const lower = name.toLowerCase();
    if (lower === 'tenant') this.error('"tenant" cannot be searched: the tenant comes from your token', FIELD_NAMES, start);
    if (!FIELD_NAMES.includes(lower)) this.error(`unknown field "${name}"`, FIELD_NAMES, start);
    this.pos += name.length + 1;
    const valueStart = this.pos;
    const quoted = this.src[this.pos] === '"';
    const value = quoted ? this.readQuoted() : this.readWord();
    if (value === '') this.error(`"${lower}:" needs a value`, ['a value', 'a "quoted value"'], valueStart);
    if (value.length > QUERY_LIMITS.maxValueLength) this.error(`the value is longer than ${QUERY_LIMITS.maxValueLength} characters`, ['a shorter value'], valueStart);
    if (lower === 'after' || lower === 'before') {
      const at = parseDate(value);
      if (!at) this.error(`"${value}" is not a date`, ['YYYY-MM-DD', 'an RFC 3339 timestamp such as 2026-01-31T12:00:00Z'], valueStart);
      return this.clause({ kind: 'range', bound: lower, at }, start);
    }
    const field = SEARCH_FIELDS[lower as SearchFieldName];
    if (!quoted && value.includes('*')) {
      this.checkWildcard(value, valueStart);
      return this.clause({ kind: 'wildcard', field, pattern: value }, start);
    }
    return this.clause({ kind: 'term', field, value }, start);
  }

  private checkWildcard(pattern: string, at: number): void {
    const stars = pattern.split('*').length - 1;
    if (stars > QUERY_LIMITS.maxWildcards) this.error(`at most ${QUERY_LIMITS.maxWildcards} "*" per value`, ['fewer wildcards'], at);
    const first = pattern.indexOf('*');
    if (first < QUERY_LIMITS.minWildcardPrefix) {
      this.error(`a wildcard needs at least ${QUERY_LIMITS.minWildcardPrefix} characters before the first "*"`, ['a value prefix such as db-*'], at + first);
    }
  }

  private parseWord(): QueryNode {
    const start = this.pos;
    const word = this.readWord();
    const colon = word.indexOf(':');
    // Lucene-isms such as `*:*` or `:x` land here: a colon with no valid field before it.
    if (colon >= 0) this.error('a field name must come before ":"', FIELD_NAMES, start);
    if (word.length > QUERY_LIMITS.maxValueLength) this.error(`a word is longer than ${QUERY_LIMITS.maxValueLength} characters`, ['a shorter word'], start);
    return this.clause({ kind: 'text', text: word, phrase: false }, start);
  }

  private clause(node: QueryNode, start: number): QueryNode {
    if (++this.clauses > QUERY_LIMITS.maxClauses) this.error(`more than ${QUERY_LIMITS.maxClauses} terms`, ['end of query'], start);
    this.count(start);
    return node;
  }

  private count(at = this.pos): void {
    if (++this.nodes > QUERY_LIMITS.maxNodes) this.error(`more than ${QUERY_LIMITS.maxNodes} terms, negations and groups`, ['end of query'], at);
  }

  private readWord(): string {
    const start = this.pos;
    while (!this.atEnd() && !WORD_END.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** A `"…"` string; `\"` and `\\` escape. */
  private readQuoted(): string {
    const open = this.pos;
    this.pos++;
    let out = '';
    while (!this.atEnd()) {
      const ch = this.src[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\' && (this.src[this.pos + 1] === '"' || this.src[this.pos + 1] === '\\')) {
        out += this.src[this.pos + 1];
        this.pos += 2;
        continue;
      }
      out += ch;
      this.pos++;
    }
    return this.error(`unterminated quote opened at ${open}`, ['"'], this.src.length);
  }

  private keywordAhead(keyword: 'OR' | 'AND'): boolean {
    if (!this.src.startsWith(keyword, this.pos)) return false;
    const next = this.src[this.pos + keyword.length];
    return next === undefined || /[\s("-]/.test(next);
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  private error(message: string, expected: string[], position = this.pos): never {
    throw new SyntaxFailure({ message, position, expected });
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant with an offset; a calendar-impossible date is refused. */
export function parseDate(value: string): string | null {
  const day = DAY.exec(value);
  if (day) {
    const [, y, m, d] = day.map(Number) as [number, number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
    return date.toISOString();
  }
  if (!INSTANT.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const [, y, m, d] = (DAY.exec(value.slice(0, 10)) ?? []).map(Number);
  const check = new Date(Date.UTC(y!, m! - 1, d!));
  if (check.getUTCMonth() !== m! - 1 || check.getUTCDate() !== d) return null;
  return new Date(ms).toISOString();
}
