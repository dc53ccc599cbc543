// A small line chart on uPlot (canvas, ~50 kB): one or more series over days. The figures are also
// given as a visually hidden table, so the chart is not the only way to read them.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  format?: (v: number) => string;
}

const DAY_S = 86_400;
/** A short history is drawn on at least this many days, so one or two points do not fill the axis. */
const MIN_SPAN_DAYS = 7;

/**
 * The x range for daily points (unix seconds): the data's own span with half a day either side,
 * widened to a week ending at the last day when the history is shorter. uPlot's own range for a
 * single time point is its value plus 86,400,000 units (a day in milliseconds applied to seconds:
 * 1,000 days), which is what stretched one snapshot across years.
 */
export function dayRange(xs: number[]): [number, number] {
  const first = xs[0] ?? 0;
  const last = xs[xs.length - 1] ?? first;
  const from = Math.min(first, last - (MIN_SPAN_DAYS - 1) * DAY_S);
  return [from - DAY_S / 2, last + DAY_S / 2];
}

export function LineChart({ title, days, series }: { title: string; days: string[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    // Counts: no label on fractional ticks (a scale of 0–2 would otherwise read 0.5 subscribers).
    const fmt = series[0]?.format ?? ((v: number) => (Number.isInteger(v) ? v.toLocaleString() : ''));
    const opts: uPlot.Options = {
      width: el.clientWidth || 300,
      height: 200,
      legend: { show: series.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      // Snapshots are UTC days: labelled as such whatever the admin's time zone.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true, range: () => dayRange(xs) } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { show: false } },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.15)' },
          size: 64,
          values: (_u, splits) => splits.map((v) => fmt(v)),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          points: { show: days.length < 40 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days, series]);

  return (
    <figure className="admin-chart">
      <figcaption className="admin-chart-title">{title}</figcaption>
      {days.length === 0 ? (
        <p className="muted">No history yet: a snapshot is taken once a day.</p>
      ) : (
        <>
          <div ref={box} className="admin-chart-canvas" aria-hidden="true" />
          {/* A table is as wide as its cells whatever its width: the hidden box around it clips it. */}
          <div className="visually-hidden">
            <table>
              <caption>{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {series.map((s) => (
                    <th key={s.label} scope="col">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {days.map((d, i) => (
                  <tr key={d}>
                    <th scope="row">{d}</th>
                    {series.map((s) => {
                      const v = s.values[i];
                      return <td key={s.label}>{v === null || v === undefined ? '—' : (s.format ?? String)(v)}</td>;
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </figure>
  );
}
