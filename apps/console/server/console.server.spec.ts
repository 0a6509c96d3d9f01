import { hasDotSegment, proxyTarget } from './console.server';

const upstreams = { query: 'http://127.0.0.1:3004', ledger: 'http://127.0.0.1:3003' };

describe('proxyTarget', () => {
  it('forwards /api/<service>/v1/… with its query string', () => {
    expect(proxyTarget('/api/query/v1/search?q=a..b', upstreams)).toEqual({ origin: upstreams.query, path: '/v1/search?q=a..b' });
    expect(proxyTarget('/api/ledger/v1/proofs/inclusion?seq=4', upstreams)).toEqual({ origin: upstreams.ledger, path: '/v1/proofs/inclusion?seq=4' });
    expect(proxyTarget('/api/other/v1/x', upstreams)).toBeNull();
  });

  it.each([
    '/api/query/v1/../metrics',
    '/api/query/v1/./../metrics',
    '/api/query/v1/%2e%2e/metrics',
    '/api/query/v1/%2E%2E/metrics',
    '/api/query/v1/.%2e/metrics',
    '/api/query/v1/%252e%252e/metrics',
    '/api/query/v1/x%2f..%2fmetrics',
    '/api/query/v1/..%5cmetrics',
    '/api/ledger/v1/..',
    '/api/query/v1/%zz',
  ])('refuses %s', (url) => {
    expect(proxyTarget(url, upstreams)).toEqual({ refused: expect.stringMatching(/segments/) });
  });

  it('keeps dots that are not segments', () => {
    for (const p of ['/v1/changes/CHG-1.2', '/v1/search', '/v1/a..b', '/v1/.well']) expect(hasDotSegment(p)).toBe(false);
  });
});
