// What a page shows that follows the account's billing. The billing summary is the mirror as the
// subscriber sees it; when it moves (a webhook's sync, an action in this tab or another, a return
// from Stripe's portal), what is derived from the plan, the invoices and the balance is read again:
// the invoice list, the next charge, the library's locks and the usage limits.
import { useEffect, useRef } from 'react';
import { trpc } from '../../lib/trpc';
import type { BillingSummary } from './billing-lib';

export function useBillingFollowers(summary: BillingSummary | undefined, enabled: boolean): void {
  const utils = trpc.useUtils();
  const sub = summary?.subscription;
  const version = summary
    ? [sub?.id, sub?.syncedAt, sub?.status, sub?.latestInvoice?.status, summary.balance.amount].join('|')
    : null;
  // The summary's first answer is what the page's other queries were read alongside.
  const seen = useRef(version);
  useEffect(() => {
    if (!enabled || version === null || seen.current === version) return;
    const first = seen.current === null;
    seen.current = version;
    if (first) return;
    void utils.billing.invoices.invalidate();
    void utils.billing.nextCharge.invalidate();
    void utils.content.invalidate();
    void utils.usage.invalidate();
  }, [enabled, version, utils]);
}
