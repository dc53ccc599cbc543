// How failed payments are won back, over 30 and 90 days: recovered revenue, recovery rate, days to
// recover and the step that recovered each. Shown on the overview and the failed-payments page.
import { Card } from '../../components/Card';
import { plural } from '../../lib/format';
import type { Overview } from './admin-lib';
import { percent } from './admin-lib';
import { Kpi, moneyList } from './Figures';

const STEP_NAMES = { retry: 'Stripe retry', card_update: 'card updated', manual: 'admin retry' } as const;

export function RecoveryFigures({ recovery }: { recovery: Overview['recovery'] }) {
  return (
    <Card title="Failed-payment recovery" description="Invoices whose payment failed and was then paid.">
      <dl className="admin-kpis" aria-label="Recovery figures">
        {recovery.map((r) => (
          <Kpi
            key={r.windowDays}
            label={`Recovered (${r.windowDays} days)`}
            value={moneyList(r.recovered)}
            hint={`${r.recoveredCount.toLocaleString()} of ${plural(r.failures, 'failed payment')} (${percent(r.rate)}) · ${
              r.avgDaysToRecover === null ? 'no recoveries yet' : `${r.avgDaysToRecover.toFixed(1)} days to recover on average`
            } · ${(Object.keys(STEP_NAMES) as (keyof typeof STEP_NAMES)[]).map((s) => `${STEP_NAMES[s]} ${r.byStep[s]}`).join(', ')}`}
            definition="Revenue from invoices that were paid after their payment failed, in the window. Recovery rate: recovered ÷ payments that began to fail in the window. Days to recover: from the first failure to the payment. The step is an admin's retry, a card the customer updated while it failed, or Stripe's own retry."
          />
        ))}
      </dl>
    </Card>
  );
}
