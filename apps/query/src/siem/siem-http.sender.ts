import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { postOutbound } from '../outbound/outbound-http';
import { OutboundRefusedError, type OutboundPolicy } from '../outbound/outbound-policy';
import type { SiemSinkConfig } from './siem.config';
import type { AttemptOutcome } from './siem-retry';

const gzip = promisify(gzipCallback);

/** Raised when the sink is stopping: the batch in hand is abandoned unacknowledged (its position not stored). */
export class SinkStoppedError extends Error {
  constructor() {
    super('SIEM sink stopping');
    this.name = 'SinkStoppedError';
  }
}

/** Sends one request body to the receiver; reports what happened, never throws for an HTTP or network failure. */
export class SiemHttpSender {
  constructor(
    private readonly sink: Pick<SiemSinkConfig, 'format' | 'url' | 'gzip' | 'timeoutMs'>,
    private readonly token: string | undefined,
    private readonly outbound: OutboundPolicy,
  ) {}

  async send(body: string, stop: AbortSignal): Promise<AttemptOutcome> {
    const headers: Record<string, string> = {
      'content-type': this.sink.format === 'splunk-hec' ? 'application/json' : 'application/x-ndjson',
      'user-agent': 'audit-ledger-query-siem/1',
    };
    if (this.token !== undefined) headers.authorization = this.sink.format === 'splunk-hec' ? `Splunk ${this.token}` : `Bearer ${this.token}`;
    let payload: Buffer | string = body;
    if (this.sink.gzip) {
      payload = await gzip(Buffer.from(body, 'utf8'));
      headers['content-encoding'] = 'gzip';
    }
    const timeout = AbortSignal.timeout(this.sink.timeoutMs);
    try {
      // No redirect is followed: a 3xx is an answer like any other (the receiver's URL is wrong).
      const response = await postOutbound(this.outbound, this.sink.url, { headers, body: payload, signal: AbortSignal.any([timeout, stop]) });
      const retryAfter = response.headers['retry-after'];
      return { kind: 'response', status: response.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, body: response.body };
    } catch (error) {
      if (stop.aborted) throw new SinkStoppedError();
      if (timeout.aborted) return { kind: 'timeout' };
      return { kind: 'network', error: describeNetworkError(error) };
    }
  }
}

/** `fetch failed` says nothing; the cause (ECONNREFUSED, ENOTFOUND, a TLS error) does. */
function describeNetworkError(error: unknown): string {
  if (error instanceof OutboundRefusedError) return `refused (${error.refusal.rule}): ${error.refusal.message}`;
  if ((error as NodeJS.ErrnoException).code) return (error as NodeJS.ErrnoException).code!;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
