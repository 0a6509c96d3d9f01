import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Top self-time functions of a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `npm run bench -- --profile
 * ledger`), grouped by function and file, plus the share per package/folder.
 *
 *   node -r @swc-node/register bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const self = new Map<string, number>();
const byArea = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const f = byId.get(id);
  if (!f) return;
  total += dt;
  const url = f.url.replace(/^file:\/\//, '');
  const where = url ? relative(process.cwd(), url) : '(native)';
  const key = `${f.functionName || '(anonymous)'}  ${where}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const area = where.startsWith('node_modules/') ? where.split('/').slice(0, where.split('/')[1]?.startsWith('@') ? 3 : 2).join('/') : where.split('/').slice(0, 2).join('/') || f.functionName;
  byArea.set(area, (byArea.get(area) ?? 0) + dt);
});
const top = Number(topArg ?? 25);
const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\ntop self time:\n`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${fmt(v)}  ${k}\n`);
process.stdout.write('\nby package/folder:\n');
for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`${fmt(v)}  ${k}\n`);
