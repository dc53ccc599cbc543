// Pieces of the figure pages: a figure with its label, value, hint and definition, and money lists.
import { useId } from 'react';
import { formatMoney, type Money } from './admin-lib';

export function moneyList(list: Money[]): string {
  return list.length === 0 ? formatMoney(0, 'usd') : list.map((m) => formatMoney(Math.round(m.amount), m.currency)).join(' + ');
}

/** A definition shown on hover and on keyboard focus of the ⓘ button beside a figure's label. */
export function Definition({ label, children }: { label: string; children: string }) {
  const id = useId();
  return (
    <span className="admin-def">
      <button type="button" className="admin-def-button" aria-label={`How ${label} is counted`} aria-describedby={id}>
        <span aria-hidden="true">i</span>
      </button>
      <span role="tooltip" id={id} className="admin-def-text">
        {children}
      </span>
    </span>
  );
}

export function Kpi({
  label,
  value,
  hint,
  tone,
  definition,
}: {
  label: string;
  value: string;
  hint?: string;
  tone?: 'danger';
  definition?: string;
}) {
  return (
    <div className={`admin-kpi${tone ? ` admin-kpi-${tone}` : ''}`}>
      <dt className="admin-kpi-label">
        <span className="admin-kpi-name">{label}</span>
        {definition && <Definition label={label}>{definition}</Definition>}
      </dt>
      <dd className="admin-kpi-value">{value}</dd>
      {hint && <dd className="admin-kpi-hint">{hint}</dd>}
    </div>
  );
}
