// A metric's use per day this period: a small bar chart for the eye, and the same figures as a
// table behind a disclosure for screen readers and anyone who wants the numbers.
import { useId } from 'react';

const dayLabel = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export function UsageDays({ label, days }: { label: string; days: { day: string; units: number }[] }) {
  const id = useId();
  if (days.length === 0) return null;
  const max = Math.max(1, ...days.map((d) => d.units));
  const total = days.reduce((n, d) => n + d.units, 0);
  const busiest = days.reduce((a, b) => (b.units > a.units ? b : a));
  const width = 100;
  const height = 32;
  // At least two weeks' room, so the first days of a period are bars, not one wide block.
  const slots = Math.max(days.length, 14);
  const gap = slots > 20 ? 0.6 : 1.5;
  const bar = (width - gap * (slots - 1)) / slots;
  const summary =
    total === 0
      ? `${label}: none yet this period.`
      : `${label} per day: ${total.toLocaleString()} over ${days.length} ${days.length === 1 ? 'day' : 'days'}, most on ${dayLabel(busiest.day)} (${busiest.units.toLocaleString()}).`;
  if (total === 0) return <p className="usage-days-summary">{summary}</p>;
  return (
    <div className="usage-days">
      <svg
        className="usage-days-chart"
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-labelledby={`${id}-summary`}
      >
        <title>{summary}</title>
        {days.map((d, i) => {
          const h = d.units === 0 ? 0.8 : Math.max(2, (d.units / max) * height);
          return (
            <rect
              key={d.day}
              x={i * (bar + gap)}
              y={height - h}
              width={bar}
              height={h}
              rx={0.6}
              className={d.units === 0 ? 'usage-days-zero' : undefined}
            >
              <title>{`${dayLabel(d.day)}: ${d.units.toLocaleString()}`}</title>
            </rect>
          );
        })}
      </svg>
      <p id={`${id}-summary`} className="usage-days-summary">
        {summary}
      </p>
      <details className="usage-days-table">
        <summary>
          Show by day<span className="visually-hidden"> ({label.toLowerCase()})</span>
        </summary>
        <table>
          <caption className="visually-hidden">{label} per day this period</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" className="num">
                {label}
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <td>{dayLabel(d.day)}</td>
                <td className="num">{d.units.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
