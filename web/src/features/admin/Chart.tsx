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

export function LineChart({ title, days, series }: { title: string; days: string[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const fmt = series[0]?.format ?? ((v: number) => v.toLocaleString());
    const opts: uPlot.Options = {
      width: el.clientWidth || 300,
      height: 200,
      legend: { show: series.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
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
          <table className="visually-hidden">
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
        </>
      )}
    </figure>
  );
}
