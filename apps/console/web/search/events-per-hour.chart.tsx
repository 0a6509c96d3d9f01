import { useMemo, useState } from 'react';
import { eventsPerHour } from './events-per-hour';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#64748b'];
const W = 720;
const H = 160;
const PAD = { left: 32, bottom: 22, top: 8 };

/**
 * Stacked bars of the events loaded in the table per UTC hour. It counts only what has been fetched
 * (the caption says how many of how many), not the whole match: the search API pages events and its
 * facets carry no time histogram.
 */
export function EventsPerHourChart({ hits, total }: { hits: Record<string, unknown>[]; total: number }) {
  const [by, setBy] = useState<'type' | 'outcome'>('type');
  const series = useMemo(() => eventsPerHour(hits, by), [hits, by]);
  if (series.buckets.length === 0) return null;
  const n = series.buckets.length;
  const bw = (W - PAD.left) / n;
  const scale = (H - PAD.top - PAD.bottom) / Math.max(series.max, 1);
  const labelEvery = Math.ceil(n / 8);
  return (
    <figure className="chart" aria-labelledby="chart-caption">
      <div className="chart-head">
        <figcaption id="chart-caption">
          Events per hour by {by} — counts the {hits.length} loaded event{hits.length === 1 ? '' : 's'} of {total} matching (UTC)
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
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Bar chart: ${series.buckets.map((b) => `${b.hour} ${b.total}`).join(', ')}`}>
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
            <g key={b.hour}>
              <title>{`${b.hour}: ${b.total} (${Object.entries(b.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`}</title>
              {series.keys.map((k, ki) => {
                const v = b.counts[k] ?? 0;
                if (!v) return null;
                const h = v * scale;
                y -= h;
                return <rect key={k} x={PAD.left + i * bw + 1} y={y} width={Math.max(bw - 2, 1)} height={h} fill={COLORS[ki % COLORS.length]} />;
              })}
              {i % labelEvery === 0 && (
                <text x={PAD.left + i * bw + bw / 2} y={H - 6} textAnchor="middle" className="tick">
                  {b.hour.slice(5, 13).replace('T', ' ')}h
                </text>
              )}
            </g>
          );
        })}
      </svg>
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
    </figure>
  );
}
