import { useMemo, useState } from 'react';
import { bucketLabel, chartSeries, type SearchHistogram } from './events-per-hour';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#64748b'];
const W = 720;
const H = 160;
const PAD = { left: 32, bottom: 22, top: 8 };

/**
 * Stacked bars of every event the search matches per UTC hour over the selected range, from the search
 * API's histogram (not from the loaded pages), split by type or by outcome. The numbers are also in a
 * table behind a disclosure, for screen readers and for anyone who wants them exact.
 */
export function EventsPerHourChart({ histogram, note }: { histogram: SearchHistogram | null; note?: string | null }) {
  const [by, setBy] = useState<'type' | 'outcome'>('type');
  const series = useMemo(() => (histogram ? chartSeries(histogram, by) : null), [histogram, by]);
  const per = histogram?.interval ?? 'hour';
  const title = `Events per ${per} over the selected range`;

  if (!histogram || !series) {
    return note ? (
      <p className="hint" data-testid="chart-note">
        {title}: not available — {note}
      </p>
    ) : null;
  }
  const n = series.buckets.length;
  const bw = (W - PAD.left) / Math.max(n, 1);
  const scale = (H - PAD.top - PAD.bottom) / Math.max(series.max, 1);
  const labelEvery = Math.ceil(n / 8);
  const nonEmpty = series.buckets.filter((b) => b.total > 0);
  const unit = per === 'hour' ? 'hours' : 'days';
  return (
    <figure className="chart" aria-labelledby="chart-caption" data-testid="events-chart">
      <div className="chart-head">
        <figcaption id="chart-caption">
          {title}, by {by} (UTC) — <span data-testid="chart-total">{series.total}</span> event{series.total === 1 ? '' : 's'} in {n} {unit}
          {histogram.interval !== histogram.requested ? ' (by day: the range holds more than 1 000 hours)' : ''}
        </figcaption>
        <fieldset className="toggle">
          <legend className="sr-only">Split by</legend>
          {(['type', 'outcome'] as const).map((k) => (
            <label key={k}>
              <input type="radio" name="chart-by" value={k} checked={by === k} onChange={() => setBy(k)} /> {k}
            </label>
          ))}
        </fieldset>
      </div>
      {n === 0 ? (
        <p className="hint">No events in the selected range.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`Bar chart, ${title.toLowerCase()}: ${series.total} events in ${n} ${unit}, at most ${series.max} in one; ${nonEmpty.length} ${unit} with events are listed in the chart data table`}
        >
          <line x1={PAD.left} x2={W} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
          <text x={PAD.left - 4} y={PAD.top + 8} textAnchor="end" className="tick">
            {series.max}
          </text>
          <text x={PAD.left - 4} y={H - PAD.bottom} textAnchor="end" className="tick">
            0
          </text>
          {series.buckets.map((b, i) => {
            let y = H - PAD.bottom;
            return (
              <g key={b.start}>
                <title>{`${bucketLabel(b.start, per)}: ${b.total}${b.total ? ` (${Object.entries(b.counts).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`}</title>
                {series.keys.map((k, ki) => {
                  const v = b.counts[k] ?? 0;
                  if (!v) return null;
                  const h = v * scale;
                  y -= h;
                  return <rect key={k} x={PAD.left + i * bw + 1} y={y} width={Math.max(bw - 2, 1)} height={h} fill={COLORS[ki % COLORS.length]} />;
                })}
                {i % labelEvery === 0 && (
                  <text x={PAD.left + i * bw + bw / 2} y={H - 6} textAnchor="middle" className="tick">
                    {bucketLabel(b.start, per)}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
      <ul className="legend">
        {series.keys.map((k, i) => (
          <li key={k}>
            <svg className="swatch" viewBox="0 0 10 10" aria-hidden="true">
              <rect width="10" height="10" fill={COLORS[i % COLORS.length]} />
            </svg>
            {k}
          </li>
        ))}
      </ul>
      {nonEmpty.length > 0 && (
        <details>
          <summary>Chart data ({nonEmpty.length} {unit} with events; the others had none)</summary>
          <table className="chart-data" aria-label={`${title}, by ${by}`} data-testid="chart-data">
            <thead>
              <tr>
                <th scope="col">{per === 'hour' ? 'Hour' : 'Day'} (UTC)</th>
                <th scope="col">Total</th>
                {series.keys.map((k) => (
                  <th scope="col" key={k}>
                    {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {nonEmpty.map((b) => (
                <tr key={b.start}>
                  <th scope="row">{bucketLabel(b.start, per)}</th>
                  <td>{b.total}</td>
                  {series.keys.map((k) => (
                    <td key={k}>{b.counts[k] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All</th>
                <td>{series.total}</td>
                {series.keys.map((k) => (
                  <td key={k}>{series.buckets.reduce((s, b) => s + (b.counts[k] ?? 0), 0)}</td>
                ))}
              </tr>
            </tfoot>
          </table>
        </details>
      )}
    </figure>
  );
}
