import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EVENT_LIMITS } from '@audit/contracts';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { chunk, contentIdempotencyKey, isRetryableStatus, parseJsonLines, retryDelayMs } from './emit/emit.retry';

const HELP = `usage:
  audit-ledger emit '<event JSON>'            send one event
  audit-ledger emit --file events.jsonl       send a file of JSON lines (batches of --batch-size)
  audit-ledger emit --file -                  read JSON lines from stdin

options:
  --idempotency-key <key>   key for a single event (default: derived from the body, so re-running the
                            same step never records the event twice)
  --batch-size <n>          events per request with --file (default 100, at most ${EVENT_LIMITS.maxBatchEvents})
  --max-attempts <n>        attempts per request on 429/503/network errors (default 8)

environment:
  AUDIT_LEDGER_URL          ingest base URL, e.g. https://ingest.audit.example.com
  AUDIT_LEDGER_API_KEY      the emitter's API key (audit-ledger apikey create …)

Retries reuse the same idempotency key, so a retried request is never recorded twice. Exit codes:
0 accepted, 1 rejected (the problem is printed), 2 usage error, 3 service unavailable after all attempts.

example:
  export AUDIT_LEDGER_URL=http://127.0.0.1:3001 AUDIT_LEDGER_API_KEY=alk_…
  audit-ledger emit '{"type":"deployment.started","occurredAt":"2026-11-25T10:00:00Z",
    "actor":{"id":"ci-bot","type":"pipeline"},"resource":{"kind":"k8s.deployment","id":"payments/api","environment":"prod"},
    "changeId":"CHG-1042","artifact":{"digest":"sha256:<64 hex>"},"source":{"system":"github-actions"}}'
`;

type Sent = { kind: 'accepted'; body: string } | { kind: 'rejected'; status: number; body: string } | { kind: 'gave-up'; reason: string };

async function send(io: CliIo, url: string, apiKey: string, body: string, key: string, maxAttempts: number): Promise<Sent> {
  let last = 'no attempt made';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status === 202) return { kind: 'accepted', body: text };
      if (!isRetryableStatus(res.status)) return { kind: 'rejected', status: res.status, body: text };
      retryAfter = res.headers.get('retry-after');
      last = `HTTP ${res.status}: ${text}`;
    } catch (error) {
      last = `network error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (attempt < maxAttempts) {
      const delay = retryDelayMs(attempt, retryAfter, Math.random());
      io.stderr(`attempt ${attempt} failed (${last.split('\n')[0]}); retrying in ${Math.round(delay)} ms with the same idempotency key\n`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  return { kind: 'gave-up', reason: last };
}

function positiveInt(value: string | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be an integer between 1 and ${max}`);
  return n;
}

export const emitCommand: CliCommand = {
  name: 'emit',
  summary: 'send an event or a file of JSON lines to the ingest API, with retries and idempotency keys',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string' },
        'idempotency-key': { type: 'string' },
        'batch-size': { type: 'string' },
        'max-attempts': { type: 'string' },
      },
    });
    const base = io.env.AUDIT_LEDGER_URL;
    const apiKey = io.env.AUDIT_LEDGER_API_KEY;
    if (!base) throw new UsageError('set AUDIT_LEDGER_URL');
    if (!apiKey) throw new UsageError('set AUDIT_LEDGER_API_KEY');
    // A bad value would fail every attempt locally; say so once instead of retrying.
    if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new UsageError('AUDIT_LEDGER_API_KEY must be one token without spaces or control characters');
    const maxAttempts = positiveInt(values['max-attempts'], '--max-attempts', 8, 100);
    const root = base.replace(/\/+$/, '');

    const requests: { url: string; body: string; key: string }[] = [];
    if (values.file !== undefined) {
      if (positionals.length > 0) throw new UsageError('give either --file or an event, not both');
      const text = values.file === '-' ? readFileSync(0, 'utf8') : readFileSync(values.file, 'utf8');
      const parsed = parseJsonLines(text);
      if (!parsed.ok) throw new UsageError(parsed.error);
      if (parsed.events.length === 0) throw new UsageError('the file holds no events');
      const size = positiveInt(values['batch-size'], '--batch-size', 100, EVENT_LIMITS.maxBatchEvents);
      for (const events of chunk(parsed.events, size)) {
        const body = JSON.stringify({ events });
        requests.push({ url: `${root}/v1/events:batch`, body, key: contentIdempotencyKey(body) });
      }
    } else {
      if (positionals.length !== 1) throw new UsageError('give one event as JSON, or --file');
      let event: unknown;
      try {
        event = JSON.parse(positionals[0] as string);
      } catch (error) {
        throw new UsageError(`the event is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
      const body = JSON.stringify(event);
      requests.push({ url: `${root}/v1/events`, body, key: values['idempotency-key'] ?? contentIdempotencyKey(body) });
    }

    for (const [i, request] of requests.entries()) {
      const sent = await send(io, request.url, apiKey, request.body, request.key, maxAttempts);
      if (sent.kind === 'accepted') {
        io.stdout(`${sent.body}\n`);
        continue;
      }
      const where = requests.length > 1 ? ` (request ${i + 1} of ${requests.length}; earlier ones were accepted)` : '';
      if (sent.kind === 'rejected') {
        io.stderr(`rejected with HTTP ${sent.status}${where}:\n${pretty(sent.body)}\n`);
        return 1;
      }
      io.stderr(`gave up after ${maxAttempts} attempts${where}: ${sent.reason}\n`);
      return 3;
    }
    return 0;
  },
};

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
