import { parseStrictJson } from '../src/strict-json';

/**
 * The strict decoder sits on every request's hot path: this measures it against JSON.parse on a
 * realistic ≈1 KB event (`node -r @swc-node/register libs/contracts/bench/strict-json.bench.ts`).
 */
const event = {
  type: 'deployment.succeeded',
  occurredAt: '2026-11-25T10:00:00.000Z',
  actor: { id: 'ci-bot@payments.example.com', type: 'pipeline', roles: ['deployer', 'release-manager'], teams: ['payments', 'platform'], displayName: 'Payments CI' },
  resource: { kind: 'k8s.deployment', id: 'payments/api-gateway', environment: 'prod', name: 'api-gateway' },
  changeId: 'CHG-2026-11-25-0042',
  artifact: { digest: `sha256:${'4f'.repeat(32)}`, kind: 'container-image', uri: 'registry.example.com/payments/api-gateway:1.42.0' },
  commit: { repo: 'github.com/example/payments', sha: 'a'.repeat(40), author: 'alice@example.com' },
  source: { system: 'github-actions', pipeline: 'deploy-prod', runId: '9876543210', url: 'https://github.com/example/payments/actions/runs/9876543210' },
  outcome: 'succeeded',
  reason: 'Roll out 1.42.0: raise max_connections, rotate the TLS certificate — approved in CHG-2026-11-25-0042 ✔',
  details: { replicas: 12, durationMs: 84213, canary: { steps: [5, 25, 50, 100], errorRate: 0.0012 }, region: 'eu-west-1', cluster: 'prod-eu-1', labels: { app: 'api-gateway', tier: 'edge' } },
};
const text = JSON.stringify(event);

function measure(name: string, fn: () => unknown, ms = 3000): number {
  for (let i = 0; i < 20_000; i++) fn(); // warm up the JIT
  let n = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  const ns = Number(process.hrtime.bigint() - started) / n;
  process.stdout.write(`${name}: ${(ns / 1000).toFixed(2)} µs per event (${Math.round(1e9 / ns)} events/s)\n`);
  return ns;
}

process.stdout.write(`event: ${Buffer.byteLength(text)} bytes\n`);
const native = measure('JSON.parse', () => JSON.parse(text));
const strict = measure('parseStrictJson', () => parseStrictJson(text));
process.stdout.write(`ratio strict / JSON.parse: ${(strict / native).toFixed(2)}\n`);
