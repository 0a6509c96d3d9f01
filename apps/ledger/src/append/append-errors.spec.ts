import { canonicalize } from '@audit/ledger-core';
import { classifyAppendError, LedgerHoldError } from './append-errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyAppendError', () => {
  it('retries what says nothing about the data: connections, concurrency, resources, shutdowns', () => {
    for (const e of [
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      pgError('08006'),
      pgError('40001'),
      pgError('40P01'),
      pgError('53300'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('23505'),
      pgError('42501', 'permission denied'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([pgError('ECONNREFUSED')], 'all addresses failed'),
    ]) {
      expect([e.message, classifyAppendError(e)]).toEqual([e.message, 'transient']);
    }
  });

  it('suspects the record for data errors and anything it cannot place', () => {
    let jcs: unknown;
    try {
      canonicalize({ reason: '\ud800' });
    } catch (error) {
      jcs = error;
    }
    expect(jcs).toBeInstanceOf(Error);
    expect(classifyAppendError(jcs)).toBe('record');
    expect(classifyAppendError(pgError('22P05', 'unsupported Unicode escape sequence'))).toBe('record');
    expect(classifyAppendError(pgError('23502', 'null value in column'))).toBe('record');
    expect(classifyAppendError(new RangeError('Maximum call stack size exceeded'))).toBe('record');
    expect(classifyAppendError('a string')).toBe('record');
  });

  it('holds the partition for a ledger hold', () => {
    expect(classifyAppendError(new LedgerHoldError('another topic incarnation'))).toBe('held');
  });
});
