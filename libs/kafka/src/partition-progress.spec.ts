import { describeStall, PartitionProgress } from './partition-progress';

describe('PartitionProgress', () => {
  it('is not stalled while it moves, nor when nothing waits', () => {
    const p = new PartitionProgress(1_000);
    p.fetched(0, '0', '10', 0);
    p.done(0, '9', '10', 500);
    expect(p.report(5_000)).toEqual([{ partition: 0, lag: 0, stalled: false, stuckForMs: 4_500, held: null, lastError: null }]);
  });

  it('is stalled when messages wait and the position has not moved for the threshold', () => {
    const p = new PartitionProgress(1_000);
    p.fetched(2, '5', '12', 0);
    p.failed(2, 'boom');
    expect(p.report(999)[0]).toMatchObject({ partition: 2, lag: 7, stalled: false });
    // The same batch fetched again (a restart) is not progress.
    p.fetched(2, '5', '13', 1_200);
    expect(p.report(1_200)[0]).toMatchObject({ lag: 8, stalled: true, stuckForMs: 1_200, lastError: 'boom' });
    p.done(2, '12', '13', 1_300);
    expect(p.report(1_300)[0]).toMatchObject({ lag: 0, stalled: false, lastError: null });
  });

  it('counts a later fetch start as progress (the position moved on)', () => {
    const p = new PartitionProgress(1_000);
    p.fetched(0, '5', '20', 0);
    p.fetched(0, '8', '20', 900);
    expect(p.report(1_500)[0]).toMatchObject({ stalled: false, stuckForMs: 600 });
  });

  it('reports a held partition as stalled at once, with the reason, until a batch is done', () => {
    const p = new PartitionProgress(60_000);
    p.fetched(1, '0', '3', 0);
    p.held(1, 'another topic incarnation');
    expect(p.report(10)[0]).toMatchObject({ stalled: true, held: 'another topic incarnation' });
    expect(describeStall('audit.ingested.v1', p.report(10)[0]!)).toBe('audit.ingested.v1 partition 1 held: another topic incarnation');
    p.done(1, '2', '3', 20);
    expect(p.report(20)[0]).toMatchObject({ stalled: false, held: null });
  });

  it('forgets partitions it no longer owns', () => {
    const p = new PartitionProgress(10);
    p.fetched(0, '0', '3', 0);
    p.forget(0);
    expect(p.report(100)).toEqual([]);
  });

  it('names the topic, partition, waiting messages and the last error', () => {
    expect(describeStall('t', { partition: 3, lag: 4, stalled: true, stuckForMs: 61_000, held: null, lastError: 'db down' })).toBe(
      't partition 3 4 message(s) waiting, no progress for 61 s (last error: db down)',
    );
  });
});
