// Small shared hooks.
import { type RefObject, useEffect, useState } from 'react';

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
