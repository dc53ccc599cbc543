// The credit notes issued against one invoice, listed under it: number, the credit (−$X), where it
// went (your balance, your card…) and its PDF. A voided one stays listed, marked void and struck
// through, so a credit that disappeared from the balance is explained. Used by the subscriber's
// invoice list and the admin's subscriber page.
import type { Invoice } from './billing-lib';
import { formatMoney } from './billing-lib';
import './credit-notes.css';

export function CreditNotes({ notes, className }: { notes: Invoice['creditNotes']; className?: string }) {
  if (notes.length === 0) return null;
  return (
    <ul className={className ?? 'credit-notes'} aria-label="Credit notes">
      {notes.map((cn) => (
        <li key={cn.id} className={cn.voided ? 'credit-note credit-note-void' : 'credit-note'}>
          <span>
            Credit note <span className="credit-note-number">{cn.number}</span>{' '}
            <span className="credit-note-amount">
              {cn.voided ? (
                <s>−{formatMoney(cn.amount, cn.currency, { cents: true })}</s>
              ) : (
                `−${formatMoney(cn.amount, cn.currency, { cents: true })}`
              )}
            </span>{' '}
            {cn.voided ? '(voided: no longer credited)' : `(${cn.destination})`}
          </span>
          {cn.pdfUrl && (
            <a href={cn.pdfUrl} target="_blank" rel="noreferrer">
              PDF<span className="visually-hidden"> of credit note {cn.number} (opens in a new tab)</span>
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}
