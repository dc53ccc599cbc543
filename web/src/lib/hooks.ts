// Small shared hooks.
import { type RefObject, useEffect, useState } from 'react';
import { withRetryIn } from '../../../src/lib/try-again';
import { type ApiError, type FormErrors, formErrors } from './errors';

/**
 * After a failed submit, move focus to the first invalid field so keyboard and screen-reader users
 * land on what needs fixing. Keyed on the error object, so typing never steals focus.
 */
export function useFocusFirstInvalid(formRef: RefObject<HTMLFormElement | null>, error: unknown) {
  useEffect(() => {
    if (!error || !formRef.current) return;
    const invalid = formRef.current.querySelector<HTMLElement>('[aria-invalid="true"]');
    invalid?.focus();
  }, [error, formRef]);
}

/** Seconds left until a deadline, ticking once a second; `start(n)` sets a new deadline. */
export function useCountdown(): [number, (seconds: number) => void] {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= Date.now()) return;
    const timer = window.setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= until) window.clearInterval(timer);
    }, 250);
    return () => window.clearInterval(timer);
  }, [until]);
  const remaining = Math.max(0, Math.ceil((until - now) / 1000));
  const start = (seconds: number) => {
    const t = Date.now();
    setNow(t);
    setUntil(t + Math.max(0, seconds) * 1000);
  };
  return [remaining, start];
}

/** The string value of a form field from FormData. */
export function fieldValue(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === 'string' ? v : '';
}

/**
 * formErrors() for a mutation, with a rate-limit message that counts down live ("Try again in
 * 2 minutes." … "in 59 seconds." … "You can try again now.").
 */
export function useFormErrors(
  mutation: { error: ApiError | null; submittedAt: number },
  knownFields: readonly string[] = [],
): FormErrors {
  const errors = formErrors(mutation.error, knownFields);
  const retry = mutation.error?.data?.retryAfterSeconds;
  const until = retry ? mutation.submittedAt + retry * 1000 : 0;
  const now = useNow(until > Date.now());
  if (!until || !errors.message) return errors;
  return { ...errors, message: withRetryIn(errors.message, Math.ceil((until - now) / 1000)) };
}

/** The current time, re-read every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}
