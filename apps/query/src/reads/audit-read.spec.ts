import { AcceptedEvent } from '@audit/contracts';
import type { KafkaPublisher } from '@audit/kafka';
import { SERVICE_CREDENTIAL_HEADER, verifyServiceEvent } from '@audit/ledger-core';
import { createLogger } from '@audit/observability';
import { auditReadEvent } from './audit-read.event';
import { AuditReadRecorder } from './audit-read.recorder';
import type { QueryConfig } from '../config';

const principal = { sub: 'alice@example.com', tenant: 'acme', roles: ['analyst' as const], groups: ['security'], name: 'Alice' };
const now = new Date('2026-03-01T12:00:00.000Z');
const id = '0190a000-0000-7000-8000-000000000001';

describe('auditReadEvent', () => {
  it('is a valid accepted event naming the reader, the endpoint, the query and the result count', () => {
    const event = auditReadEvent({ principal, endpoint: '/v1/search', query: { q: 'env:prod', size: 50, cursor: undefined }, resultCount: 3, now, id });
    expect(AcceptedEvent.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      type: 'audit.read',
      tenant: 'acme',
      id,
      occurredAt: now.toISOString(),
      receivedAt: now.toISOString(),
      actor: { id: 'alice@example.com', type: 'user', roles: ['analyst'], teams: ['security'], displayName: 'Alice' },
      details: { endpoint: '/v1/search', query: { q: 'env:prod', size: 50 }, resultCount: 3 },
    });
  });
});

describe('AuditReadRecorder', () => {
  const logger = createLogger('test', 'silent');
  const config = { SERVICE_CREDENTIAL_SECRET: ['s'.repeat(32)] } as QueryConfig;
  it('publishes to the ingested topic keyed by tenant', async () => {
    const sent: unknown[] = [];
    const publisher = { publish: async (topic: string, messages: unknown[]) => void sent.push({ topic, messages }) } as unknown as KafkaPublisher;
    const recorder = new AuditReadRecorder(publisher, () => now, () => id, logger, config);
    const result = await recorder.record({ principal, endpoint: '/v1/changes', query: {}, resultCount: 0 });
    expect(result.ok).toBe(true);
    expect(sent).toEqual([
      {
        topic: 'ingested',
        messages: [
          {
            key: 'acme',
            value: expect.objectContaining({ type: 'audit.read', id, provenance: { kind: 'service', id: 'query', auth: 'service-credential', scopes: [], via: 'reads' } }),
            headers: { [SERVICE_CREDENTIAL_HEADER]: expect.stringMatching(/^hmac-sha256=/) },
          },
        ],
      },
    ]);
    const [message] = (sent[0] as { messages: { value: unknown; headers: Record<string, string> }[] }).messages;
    expect(verifyServiceEvent(config.SERVICE_CREDENTIAL_SECRET, message?.value, message?.headers[SERVICE_CREDENTIAL_HEADER])).toBe(true);
  });
  it('answers 503 (and so returns no data) when the read cannot be recorded', async () => {
    const publisher = { publish: async () => Promise.reject(new Error('broker down')) } as unknown as KafkaPublisher;
    const recorder = new AuditReadRecorder(publisher, () => now, () => id, logger, config);
    const result = await recorder.record({ principal, endpoint: '/v1/search', query: { q: '' }, resultCount: 10 });
    expect(result).toMatchObject({ ok: false, error: { problem: { status: 503 }, headers: { 'Retry-After': '5' } } });
  });
});

describe('AuditReadRecorder batching', () => {
  const logger = createLogger('test', 'silent');
  const config = { SERVICE_CREDENTIAL_SECRET: ['s'.repeat(32)] } as QueryConfig;
  it('sends reads that arrive together in one publish, and each caller gets its own event', async () => {
    const sends: { key: string }[][] = [];
    const publisher = { publish: async (_topic: string, messages: { key: string }[]) => void sends.push(messages) } as unknown as KafkaPublisher;
    let n = 0;
    const recorder = new AuditReadRecorder(publisher, () => now, () => `0190a000-0000-7000-8000-00000000000${++n}`, logger, config);
    const results = await Promise.all([1, 2, 3].map((i) => recorder.record({ principal, endpoint: '/v1/alerts', query: { i }, resultCount: i })));
    expect(sends).toHaveLength(1);
    expect(sends[0]).toHaveLength(3);
    expect(results.map((r) => r.ok && r.value.details)).toEqual([1, 2, 3].map((i) => ({ endpoint: '/v1/alerts', query: { i }, resultCount: i })));
    await recorder.record({ principal, endpoint: '/v1/alerts', query: {}, resultCount: 0 });
    expect(sends).toHaveLength(2);
  });
  it('recorded() passes a refusal through unrecorded and withholds an answer whose read could not be recorded', async () => {
    const publisher = { publish: async () => Promise.reject(new Error('broker down')) } as unknown as KafkaPublisher;
    const recorder = new AuditReadRecorder(publisher, () => now, () => id, logger, config);
    const notFound = { ok: false as const, error: { problem: { type: 'x', title: 'not found', status: 404 } } };
    expect(await recorder.recorded({ principal, endpoint: '/v1/alerts/{alertId}', query: {} }, notFound, () => 1)).toBe(notFound);
    const answer = await recorder.recorded({ principal, endpoint: '/v1/alerts', query: {} }, { ok: true as const, value: [1, 2] }, (v) => v.length);
    expect(answer.ok ? 200 : answer.error.problem.status).toBe(503);
  });
});
