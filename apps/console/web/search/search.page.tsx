import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { EventDrawer } from '../proof/event-drawer';
import { ApiError, apiGet, describeError } from '../common/api';
import type { Session } from '../common/session';
import type { SearchHistogram } from './events-per-hour';
import { EventsPerHourChart } from './events-per-hour.chart';
import { FACET_FIELDS, localInputToRfc3339, presetRange, refineWithFacet, withTimeRange, type FacetName, type RangePreset } from './search-query';

export type EventHit = Record<string, unknown> & { seq: number; type: string; occurredAt: string };

interface SearchPage {
  hits: EventHit[];
  total: { value: number; relation: string };
  facets: Record<FacetName, { value: string; count: number }[]>;
  nextCursor: string | null;
  /** Asked for on the first page only (`histogram=hour`): counts over the whole match, not the page. */
  histogram?: SearchHistogram;
}

interface SyntaxError {
  sent: string;
  message: string;
  position: number;
  expected: string[];
}

const PAGE_SIZE = 50;
const FACET_LABELS: Record<FacetName, string> = { type: 'Type', actor: 'Actor', environment: 'Environment', outcome: 'Outcome' };

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const field = (e: Record<string, unknown>, a: string, b: string) => str((e[a] as Record<string, unknown> | undefined)?.[b]);

/**
 * The first page with the histogram of the whole match. A range too long to chart (the API refuses more
 * than 1 000 daily buckets, naming `histogram`) still gets its results: the page is fetched again without
 * the histogram and the chart says why it is missing.
 */
async function firstPage(token: string, q: string, reads: ReadsParam, onChartRefused: (reason: string) => void): Promise<SearchPage> {
  try {
    return await apiGet<SearchPage>('query', '/v1/search', token, { q, size: PAGE_SIZE, histogram: 'hour', ...reads });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 400 && err.problem.errors?.[0]?.path === 'histogram')) throw err;
    onChartRefused(err.problem.errors[0].message);
    return apiGet<SearchPage>('query', '/v1/search', token, { q, size: PAGE_SIZE, ...reads });
  }
}

/** Every read records an `audit.read`; the API hides them unless asked (`reads=show`), so the console's own reads do not fill the view. */
type ReadsParam = { reads?: 'show' };
const readsParam = (show: boolean): ReadsParam => (show ? { reads: 'show' } : {});

/** `initialQuery` (from `#/search?q=…`) is searched on arrival; the page is remounted when it changes. */
export function SearchPage({ session, initialQuery = '' }: { session: Session; initialQuery?: string }) {
  const [input, setInput] = useState(initialQuery);
  const [preset, setPreset] = useState<RangePreset>('all');
  const [showReads, setShowReads] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [page, setPage] = useState<SearchPage | null>(null);
  const [chartNote, setChartNote] = useState<string | null>(null);
  const [hits, setHits] = useState<EventHit[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [syntax, setSyntax] = useState<SyntaxError | null>(null);
  const [open, setOpen] = useState<EventHit | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const lastTrigger = useRef<HTMLElement | null>(null);

  const run = useCallback(
    async (query: string) => {
      const range = preset === 'custom' ? { after: localInputToRfc3339(from), before: localInputToRfc3339(to) } : presetRange(preset, new Date());
      const q = withTimeRange(query, range);
      setSent(q);
      setLoading(true);
      setError(null);
      setSyntax(null);
      setChartNote(null);
      try {
        const result = await firstPage(session.token, q, readsParam(showReads), setChartNote);
        setPage(result);
        setHits(result.hits);
      } catch (err) {
        setPage(null);
        setHits([]);
        if (err instanceof ApiError && err.status === 400 && typeof err.problem.position === 'number') {
          setSyntax({ sent: q, message: err.problem.detail ?? 'syntax error', position: err.problem.position, expected: err.problem.expected ?? [] });
          // Put the caret where the parser stopped, when the position falls inside what the reader typed.
          const input = inputRef.current;
          if (input && q.startsWith(query.trim()) && err.problem.position <= input.value.length) {
            input.focus();
            input.setSelectionRange(err.problem.position, err.problem.position);
          }
        } else setError(describeError(err));
      } finally {
        setLoading(false);
      }
    },
    [session.token, preset, from, to, showReads],
  );

  const loadMore = useCallback(async () => {
    if (!page?.nextCursor || loading || sent === null) return;
    setLoading(true);
    try {
      const next = await apiGet<SearchPage>('query', '/v1/search', session.token, { q: sent, size: PAGE_SIZE, cursor: page.nextCursor, ...readsParam(showReads) });
      setHits((h) => [...h, ...next.hits]);
      setPage((p) => (p ? { ...p, nextCursor: next.nextCursor } : p));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setLoading(false);
    }
  }, [page, loading, sent, session.token, showReads]);

  // Infinite paging: the next page loads when the end of the table scrolls into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !page?.nextCursor) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void loadMore());
    observer.observe(el);
    return () => observer.disconnect();
  }, [page?.nextCursor, loadMore]);

  useEffect(() => {
    void run(initialQuery);
    // First load only; later searches run on submit or facet clicks.
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(input);
  };

  const refine = (facet: FacetName, value: string) => {
    const next = refineWithFacet(input, facet, value);
    setInput(next);
    void run(next);
  };

  const openEvent = (hit: EventHit, trigger: HTMLElement) => {
    lastTrigger.current = trigger;
    setOpen(hit);
  };

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title" tabIndex={-1}>
        Activity
      </h1>
      <form className="searchbar" onSubmit={submit} role="search">
        <div className="field grow">
          <label htmlFor="q">Query</label>
          <input
            id="q"
            ref={inputRef}
            name="q"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder='actor:alice type:deployment.* env:prod "free text"'
            aria-invalid={syntax ? true : undefined}
            aria-describedby={syntax ? 'q-error' : 'q-help'}
            spellCheck={false}
            autoComplete="off"
          />
          <span id="q-help" className="hint">
            Fields: actor type env resource kind outcome change artifact team role source id after before · OR, -negation, (groups), "phrases"
          </span>
        </div>
        <div className="field">
          <label htmlFor="range">Time range</label>
          <select id="range" value={preset} onChange={(e) => setPreset(e.target.value as RangePreset)}>
            <option value="all">All time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="custom">Custom…</option>
          </select>
        </div>
        {preset === 'custom' && (
          <>
            <div className="field">
              <label htmlFor="from">From (after, inclusive)</label>
              <input id="from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="to">To (before, exclusive)</label>
              <input id="to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
            </div>
          </>
        )}
        <div className="field">
          <label htmlFor="show-reads">
            <input id="show-reads" type="checkbox" checked={showReads} onChange={(e) => setShowReads(e.target.checked)} /> Show reads (audit.read)
          </label>
        </div>
        <button type="submit" disabled={loading}>
          Search
        </button>
      </form>

      {syntax && (
        <div id="q-error" role="alert" className="error syntax" data-testid="syntax-error">
          <p>
            <strong>Query syntax error</strong> at position {syntax.position}: {syntax.message}
            {syntax.expected.length > 0 && <> — expected {syntax.expected.join(', ')}</>}
          </p>
          <pre aria-label="query with the error position marked">
            {syntax.sent.slice(0, syntax.position)}
            <mark className="at">{syntax.sent.slice(syntax.position, syntax.position + 1) || ' '}</mark>
            {syntax.sent.slice(syntax.position + 1)}
            {'\n'}
            {' '.repeat(syntax.position)}^
          </pre>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {sent !== null && !syntax && (
        <p className="hint" aria-live="polite" data-testid="result-summary">
          {loading ? 'Searching…' : page ? `${page.total.relation === 'gte' ? 'at least ' : ''}${page.total.value} events match` : ''}
          {sent ? <> · query sent: <code>{sent}</code></> : null}
        </p>
      )}

      {page && (
        <div className="search-layout">
          <aside aria-label="Facets" className="facets">
            {(Object.keys(FACET_FIELDS) as FacetName[]).map((facet) => (
              <section key={facet} aria-labelledby={`facet-${facet}`}>
                <h2 id={`facet-${facet}`}>{FACET_LABELS[facet]}</h2>
                {page.facets[facet]?.length ? (
                  <ul>
                    {page.facets[facet].map((b) => (
                      <li key={b.value}>
                        <button type="button" className="facet" onClick={() => refine(facet, b.value)} aria-label={`Refine to ${FACET_LABELS[facet].toLowerCase()} ${b.value} (${b.count})`}>
                          <span>{b.value}</span>
                          <span className="count">{b.count}</span>
                        </button>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <p className="hint">none</p>
                )}
              </section>
            ))}
          </aside>
          <div className="results">
            <EventsPerHourChart histogram={page.histogram ?? null} note={chartNote} />
            <table className="events" aria-label="Matching events">
              <thead>
                <tr>
                  <th scope="col">Seq</th>
                  <th scope="col">Occurred (UTC)</th>
                  <th scope="col">Type</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Env</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Change</th>
                </tr>
              </thead>
              <tbody>
                {hits.map((h) => (
                  <tr key={h.seq}>
                    <td>
                      <button type="button" className="link" onClick={(e) => openEvent(h, e.currentTarget)} aria-label={`Open event ${h.seq} (${h.type})`}>
                        {h.seq}
                      </button>
                    </td>
                    <td>{h.occurredAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')}</td>
                    <td>{h.type}</td>
                    <td>{field(h, 'actor', 'id')}</td>
                    <td>
                      {field(h, 'resource', 'kind')}/{field(h, 'resource', 'id')}
                    </td>
                    <td>{field(h, 'resource', 'environment')}</td>
                    <td className={`outcome ${str(h.outcome)}`}>{str(h.outcome)}</td>
                    <td>{h.changeId ? <a href={`#/changes/${encodeURIComponent(str(h.changeId))}`}>{str(h.changeId)}</a> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div ref={sentinel} className="sentinel">
              {page.nextCursor ? (
                <button type="button" onClick={() => void loadMore()} disabled={loading}>
                  {loading ? 'Loading…' : 'Load more'}
                </button>
              ) : (
                <p className="hint" data-testid="end-of-results">
                  {hits.length} of {page.total.value} shown · end of results
                </p>
              )}
            </div>
          </div>
        </div>
      )}
      {open && (
        <EventDrawer
          session={session}
          event={open}
          onClose={() => {
            setOpen(null);
            lastTrigger.current?.focus();
          }}
        />
      )}
    </section>
  );
}
