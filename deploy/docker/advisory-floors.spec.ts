import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Versions below these have published advisories we know of (issue 17): fastify < 5.7.2 (high severity),
// which @nestjs/platform-fastify 11.1.6 pinned. `npm audit` cannot reach its endpoint from this
// workplace, so the floor is checked against what is actually installed, not what package.json asks.
const FLOORS: Record<string, string> = { fastify: '5.7.2' };

function installedVersion(name: string): string {
  const manifest = require.resolve(`${name}/package.json`, { paths: [join(__dirname, '..', '..')] });
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function atLeast(version: string, floor: string): boolean {
  const a = version.split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

describe('dependencies with published advisories', () => {
  it.each(Object.entries(FLOORS))('%s is at least %s as installed', (name, floor) => {
    const version = installedVersion(name);
    expect(atLeast(version, floor) ? version : `${version} (below ${floor})`).toBe(version);
  });

  it('compares versions numerically, so the floor cannot pass by string order', () => {
    expect(atLeast('5.11.3', '5.7.2')).toBe(true);
    expect(atLeast('5.4.0', '5.7.2')).toBe(false);
    expect(atLeast('5.7.2', '5.7.2')).toBe(true);
  });
});
