// The credit notes issued against one invoice, listed under it: number, the credit (−$X), where it
// went (the balance, the card…) and its PDF. A voided one stays listed, marked voided and struck
// through, so a credit that left the balance is explained. Used by the subscriber's invoice list
// (`audience="subscriber"`: "your balance") and the admin's subscriber page.
import { formatMoney, type Invoice } from './billing-lib';
import './credit-notes.css';

export function CreditNotes({
  notes,
  audience,
  className,
}: {
  notes: Invoice['creditNotes'];
  audience: 'subscriber' | 'admin';
  className?: string;
}) {
  if (notes.length === 0) return null;
  return (
    <ul className={className ?? 'credit-notes'} aria-label="Credit notes">
      {notes.map((cn) => {
        const amount = `−${formatMoney(cn.amount, cn.currency, { cents: true })}`;
        const where = audience === 'admin' ? cn.adminDestination : cn.destination;
        return (
          <li key={cn.id} className={cn.voided ? 'credit-note credit-note-void' : 'credit-note'}>
            Credit note <span className="credit-note-number">{cn.number}</span>{' '}
            <span className="credit-note-amount">{cn.voided ? <s>{amount}</s> : amount}</span>{' '}
            {cn.voided ? '(voided: no longer credited)' : `(${where})`}
            {cn.pdfUrl && (
              <>
                {' ·\u00a0'}
                <a href={cn.pdfUrl} target="_blank" rel="noreferrer">
                  PDF<span className="visually-hidden"> of credit note {cn.number} (opens in a new tab)</span>
                </a>
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}
