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

/** ns per call of `fn` over `ms` milliseconds. */
function timed(fn: () => unknown, ms: number): number {
  let n = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  return Number(process.hrtime.bigint() - started) / n;
}

const native = () => JSON.parse(text) as unknown;
const strict = () => parseStrictJson(text);
for (let i = 0; i < 20_000; i++) {
  native();
  strict();
} // warm up the JIT
// Interleaved rounds: on a shared machine the load moves between rounds, so each round's ratio is
// taken under the same load and the median of the ratios is reported.
const rounds: { native: number; strict: number }[] = [];
for (let r = 0; r < 10; r++) rounds.push({ native: timed(native, 300), strict: timed(strict, 300) });
const ratios = rounds.map((r) => r.strict / r.native).sort((a, b) => a - b);
const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] as number;
process.stdout.write(`event: ${Buffer.byteLength(text)} bytes\n`);
process.stdout.write(`JSON.parse: ${(median(rounds.map((r) => r.native).sort((a, b) => a - b)) / 1000).toFixed(2)} µs per event (median of 10 rounds)\n`);
process.stdout.write(`parseStrictJson: ${(median(rounds.map((r) => r.strict).sort((a, b) => a - b)) / 1000).toFixed(2)} µs per event\n`);
process.stdout.write(`ratio strict / JSON.parse: median ${median(ratios).toFixed(2)} (rounds ${ratios[0]?.toFixed(2)}–${ratios[ratios.length - 1]?.toFixed(2)})\n`);
