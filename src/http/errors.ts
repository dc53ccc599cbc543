// The one JSON error shape every route outside tRPC answers with: `{ error, field? }`, where `error`
// is a sentence to show a person and `field` names the input at fault. The REST API, the file and
// upload routes, webhooks, OAuth, CSRF and the app's own error handler all build it here.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { AppError } from '../lib/errors';
import type { Logger } from '../log';

export interface ErrorBody {
  error: string;
  field?: string;
}

export const UNEXPECTED = 'Something went wrong on our side. Please try again.';

export function errorBody(message: string, field?: string): ErrorBody {
  return field ? { error: message, field } : { error: message };
}

export function jsonError(c: Context, status: ContentfulStatusCode, message: string, field?: string): Response {
  return c.json(errorBody(message, field), status);
}

/** An AppError as HTTP: its status, its message, its field and any Retry-After. */
export function appErrorResponse(c: Context, err: AppError): Response {
  if (err.details.retryAfterSeconds) c.header('Retry-After', String(err.details.retryAfterSeconds));
  return jsonError(c, err.status as ContentfulStatusCode, err.message, err.details.field);
}

/** 400 for input that failed its schema: the first issue, its field named in the sentence and in `field`. */
export function invalidInput(c: Context, error: ZodError): Response {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys';
  const path = issue ? [...issue.path, ...(unknownKey ? issue.keys.slice(0, 1) : [])] : [];
  const field = path.map(String).join('.') || 'input';
  const message = unknownKey ? 'is not accepted here' : (issue?.message ?? 'is not valid');
  return jsonError(c, 400, `${field} ${message}`, field);
}

export const notFound: NotFoundHandler = (c) => jsonError(c, 404, 'Not found.');

/**
 * The error handler of every Hono app here. Expected errors (AppError, Hono's own HTTP errors) are
 * answered as they are; anything else is logged with the request's logger and answered with a 500.
 */
export function onHttpError(fallbackLog: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof AppError) return appErrorResponse(c, err);
    if (err instanceof HTTPException && err.status < 500) return jsonError(c, err.status, err.message || 'Bad request.');
    const log: Logger = c.get('log') ?? fallbackLog;
    log.error({ err }, 'unhandled error');
    return jsonError(c, 500, UNEXPECTED);
  };
}
