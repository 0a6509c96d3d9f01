import { chunkByBytes } from './publisher';

describe('chunkByBytes', () => {
  it('keeps every send below the byte budget, in order, losing nothing', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: String(i), value: 'x'.repeat(100 + i) }));
    const chunks = chunkByBytes(messages, 1_000);
    expect(chunks.flat()).toEqual(messages);
    for (const c of chunks) expect(c.reduce((n, m) => n + m.value.length, 0)).toBeLessThanOrEqual(1_000);
  });

  it('sends an oversized single message on its own rather than dropping it', () => {
    const big = { key: 'b', value: 'y'.repeat(5_000) };
    expect(chunkByBytes([{ key: 'a', value: 'a' }, big, { key: 'c', value: 'c' }], 1_000)).toEqual([[{ key: 'a', value: 'a' }], [big], [{ key: 'c', value: 'c' }]]);
  });
});
