// Turns a tRPC error into what a form shows: messages next to known fields, and one message for
// the alert at the top of the form (rate limits, unknown fields, network and server failures).
// A rate limit's message comes from the server as it is ("… Try again in 45 minutes."); forms that
// count it down use useFormErrors (hooks.ts).
import type { TRPCClientErrorLike } from '@trpc/client';
import type { AppRouter } from '../../../src/trpc/root';

export type ApiError = TRPCClientErrorLike<AppRouter>;

export interface FormErrors {
  fields: Record<string, string>;
  message: string | null;
}

export const noErrors: FormErrors = { fields: {}, message: null };

export function formErrors(error: ApiError | null | undefined, knownFields: readonly string[] = []): FormErrors {
  if (!error) return noErrors;
  const data = error.data;
  if (!data) {
    // No error shape at all: the request never reached the server (offline, proxy down).
    return { fields: {}, message: "We couldn't reach DropIn. Check your connection and try again." };
  }
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const [field, message] of Object.entries(data.fieldErrors ?? {})) {
    if (knownFields.includes(field)) fields[field] = message;
    else other.push(message);
  }
  if (data.fieldErrors && Object.keys(data.fieldErrors).length > 0) {
    return { fields, message: other.length ? other.join(' ') : null };
  }
  return { fields, message: error.message || 'Something went wrong. Please try again.' };
}

/** The message for a failed query, for an inline alert. */
export function queryErrorMessage(error: ApiError | null | undefined): string {
  return formErrors(error).message ?? 'Something went wrong. Please try again.';
}
