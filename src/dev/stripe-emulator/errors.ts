// Stripe's error model: every failure leaves the emulator as `{ error: { type, code, ... } }` with the
// HTTP status Stripe uses, so the SDK raises the same error classes it raises against stripe.com.

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  payment_method?: unknown;
  advice_code?: string;
}

export class StripeApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;
  /**
   * Validation errors happen before an endpoint "starts executing"; Stripe does not store them for
   * idempotent replay, so a corrected retry with the same key is allowed.
   */
  readonly validation: boolean;

  constructor(status: number, body: StripeErrorBody, validation = false) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.validation = validation;
  }
}

const DOCS = 'https://stripe.com/docs/error-codes';

export function invalidRequest(message: string, opts: { param?: string; code?: string; status?: number } = {}): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (opts.code) {
    body.code = opts.code;
    body.doc_url = `${DOCS}/${opts.code.replace(/_/g, '-')}`;
  }
  if (opts.param) body.param = opts.param;
  return new StripeApiError(opts.status ?? 400, body);
}

export function parameterError(code: string, param: string, message: string): StripeApiError {
  return new StripeApiError(
    400,
    { type: 'invalid_request_error', code, param, message, doc_url: `${DOCS}/${code.replace(/_/g, '-')}` },
    true,
  );
}

export function unknownParameter(param: string): StripeApiError {
  return parameterError('parameter_unknown', param, `Received unknown parameter: ${param}`);
}

export function missingParameter(param: string): StripeApiError {
  return parameterError('parameter_missing', param, `Missing required param: ${param}.`);
}

const NOUNS: Record<string, string> = {
  cus: 'customer',
  prod: 'product',
  price: 'price',
  pm: 'PaymentMethod',
  sub: 'subscription',
  si: 'subscription item',
  in: 'invoice',
  cs: 'checkout.session',
  bps: 'billing portal session',
  evt: 'event',
  we: 'webhook endpoint',
  clock: 'test clock',
  promo: 'promotion code',
  mtr: 'billing meter',
  pi: 'payment_intent',
  inpay: 'invoice payment',
  ch: 'charge',
  re: 'refund',
  cn: 'credit_note',
  cbtxn: 'customer_balance_transaction',
  ii: 'invoiceitem',
  di: 'discount',
};

export function noSuch(id: string, param = 'id', noun?: string): StripeApiError {
  const prefix = id.split('_')[0] ?? '';
  const what = noun ?? NOUNS[prefix] ?? 'object';
  return invalidRequest(`No such ${what}: '${id}'`, { param, code: 'resource_missing', status: 404 });
}

export function cardError(
  declineCode: string,
  message: string,
  code = 'card_declined',
  extra: Partial<StripeErrorBody> = {},
): StripeApiError {
  return new StripeApiError(402, {
    type: 'card_error',
    code,
    decline_code: declineCode,
    message,
    doc_url: `${DOCS}/${code.replace(/_/g, '-')}`,
    ...extra,
  });
}

export function apiError(message = 'An unknown error occurred'): StripeApiError {
  return new StripeApiError(500, { type: 'api_error', message });
}
