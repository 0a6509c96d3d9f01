import { evaluateReadiness } from './readiness';

describe('evaluateReadiness', () => {
  it('is ready only when every check passes, and reports each', async () => {
    const report = await evaluateReadiness([
      { name: 'postgres', check: async () => undefined },
      { name: 'kafka', check: async () => Promise.reject(new Error('connection refused')) },
    ]);
    expect(report.ready).toBe(false);
    expect(report.checks.postgres?.ok).toBe(true);
    expect(report.checks.kafka).toMatchObject({ ok: false, error: 'connection refused' });
  });

  it('fails a check that hangs', async () => {
    const report = await evaluateReadiness([{ name: 'opensearch', check: () => new Promise(() => undefined) }], 50);
    expect(report.checks.opensearch?.error).toMatch(/did not answer within 50 ms/);
  });
});
