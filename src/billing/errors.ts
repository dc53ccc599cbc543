// Stripe failures become clear messages for people; nothing about them changes our mirror,
// because the mirror is only written from what Stripe reports afterwards.
import Stripe from 'stripe';
import { AppError } from '../lib/errors';

export async function withStripeErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(err);
  }
}

/**
 * For a Stripe read's `.catch`: `answer` when Stripe has no such object (`resource_missing`), any
 * other error as toAppError makes it.
 */
export const ifMissing =
  <T>(answer: T) =>
  (err: unknown): T => {
    const e = err as { statusCode?: number; code?: string };
    if (e.statusCode === 404 && e.code === 'resource_missing') return answer;
    throw toAppError(err);
  };

export function toAppError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof Stripe.errors.StripeCardError) {
    return new AppError('PAYMENT_REQUIRED', err.message || 'Your card was declined.');
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    return new AppError('TOO_MANY_REQUESTS', 'Our payment provider is busy. Please try again in a moment.', {
      retryAfterSeconds: 5,
    });
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    if (err.statusCode === 404) return new AppError('NOT_FOUND', 'That billing record was not found.');
    return new AppError('BAD_REQUEST', err.message);
  }
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError) {
    return new AppError('UNAVAILABLE', 'Our payment provider is not answering. Nothing was changed; please try again.');
  }
  return err;
}
