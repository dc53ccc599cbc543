// The customer balance's ledger: every change of `customer.balance` that Stripe records as a
// customer balance transaction (an invoice using or adding credit, a credit note credited to the
// balance) goes through here, so the balance and its transactions never disagree.
import type Stripe from 'stripe';
import type { Emulator } from '../emulator.js';
import { newId } from '../ids.js';

/**
 * Moves the customer's balance by `amount` (negative is credit, as Stripe counts it) and records the
 * transaction. The caller emits `customer.updated` with the rest of its change.
 */
export function recordBalanceTransaction(
  emu: Emulator,
  customer: Stripe.Customer,
  opts: {
    amount: number;
    currency: string;
    type: Stripe.CustomerBalanceTransaction.Type;
    invoice?: string | null;
    creditNote?: string | null;
    description?: string | null;
  },
): Stripe.CustomerBalanceTransaction {
  customer.balance += opts.amount;
  const txn = {
    id: newId('cbtxn'),
    object: 'customer_balance_transaction',
    amount: opts.amount,
    checkout_session: null,
    created: emu.now(customer.id),
    credit_note: opts.creditNote ?? null,
    currency: opts.currency,
    customer: customer.id,
    customer_account: null,
    description: opts.description ?? null,
    ending_balance: customer.balance,
    invoice: opts.invoice ?? null,
    livemode: false,
    metadata: {},
    type: opts.type,
  } satisfies Stripe.CustomerBalanceTransaction;
  emu.state.customerBalanceTransactions.set(txn);
  return txn;
}
