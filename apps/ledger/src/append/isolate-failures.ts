import { classifyAppendError } from './append-errors';

export interface IsolationIo<R extends { offset: string }> {
  /** Appends `records` in one transaction and stores the partition position `nextOffset` with them. */
  append(records: R[], nextOffset: string): Promise<void>;
  /** Records that `record` cannot be appended (failure event, DLQ) and stores the position `nextOffset`. */
  failed(record: R, error: unknown, nextOffset: string): Promise<void>;
}

/**
 * Appends a batch so that no single record can stop it: the whole batch first (one transaction, the
 * usual case); if that fails for what may be a record's fault, the batch is halved and each half tried
 * in order, down to the one record that fails alone, which is handed to `failed` — the records before and
 * after it are appended. Transient and hold errors are thrown as they are: the caller retries or holds.
 * Order is kept: each piece stores the position just after its last record.
 */
export async function appendIsolating<R extends { offset: string }>(records: readonly R[], nextOffset: string, io: IsolationIo<R>): Promise<{ failed: number }> {
  let failed = 0;
  const go = async (part: readonly R[], next: string): Promise<void> => {
    if (part.length === 0) return;
    try {
      await io.append([...part], next);
      return;
    } catch (error) {
      if (classifyAppendError(error) !== 'record') throw error;
      if (part.length === 1) {
        await io.failed(part[0]!, error, next);
        failed++;
        return;
      }
    }
    const mid = Math.ceil(part.length / 2);
    const left = part.slice(0, mid);
    await go(left, (BigInt(left[left.length - 1]!.offset) + 1n).toString());
    await go(part.slice(mid), next);
  };
  await go(records, nextOffset);
  return { failed };
}
