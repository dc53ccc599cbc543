import { describe, expect, it } from 'vitest';
import { MongoBulkWriteError, MongoNetworkError, MongoServerError, type BulkWriteResult, type WriteError } from 'mongodb';
import { isDuplicateKey, refusedRows } from './errors';

// Built as the driver builds them: the server's reply handed to MongoServerError; for an unordered
// insertMany, the refused rows (the driver wraps each in a WriteError with these same fields) and the
// first one's code handed to MongoBulkWriteError.
const duplicateReply = { ok: 0, code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 duplicate key error' };
const bulkResult = { insertedCount: 1 } as unknown as BulkWriteResult;
const bulk = (first: { index: number; code: number; errmsg: string }, ...rest: (typeof first)[]) =>
  new MongoBulkWriteError(
    { message: first.errmsg, code: first.code, writeErrors: [first, ...rest] as unknown as WriteError[] },
    bulkResult,
  );

describe('isDuplicateKey', () => {
  it('recognises a unique index refusing an insert', () => {
    expect(isDuplicateKey(new MongoServerError(duplicateReply))).toBe(true);
  });

  it('recognises a bulk write whose first refused row was a duplicate', () => {
    expect(isDuplicateKey(bulk({ index: 1, code: 11000, errmsg: 'E11000 duplicate key error' }))).toBe(true);
  });

  it('is false for other server errors, driver errors and non-errors', () => {
    expect(isDuplicateKey(new MongoServerError({ ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'conflict' }))).toBe(false);
    expect(isDuplicateKey(new MongoNetworkError('connection reset'))).toBe(false);
    expect(isDuplicateKey(new Error('E11000'))).toBe(false);
    expect(isDuplicateKey('E11000')).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
    expect(isDuplicateKey(undefined)).toBe(false);
  });
});

describe('refusedRows', () => {
  it('lists each refused row of a bulk write by index, marking the duplicates', () => {
    const err = bulk(
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key error' },
      { index: 2, code: 121, errmsg: 'Document failed validation' },
    );
    expect(refusedRows(err)).toEqual([
      { index: 0, duplicate: true },
      { index: 2, duplicate: false },
    ]);
  });

  it('names no rows for a bulk write that failed as a whole (its rows may or may not be stored)', () => {
    expect(refusedRows(new MongoBulkWriteError(new MongoNetworkError('connection reset'), bulkResult))).toBeNull();
  });

  it('is null for an error that is not a bulk write', () => {
    expect(refusedRows(new MongoServerError(duplicateReply))).toBeNull();
    expect(refusedRows(new Error('boom'))).toBeNull();
    expect(refusedRows(null)).toBeNull();
  });
});
