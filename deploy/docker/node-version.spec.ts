import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// What is tested must be what is shipped: the image's Node, the project's pinned Node (the devDependency
// that `npm start`, `npm test` and CI run on) and the Node running this very test are one version.
const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const dockerfile = readFileSync(join(root, 'deploy', 'docker', 'service.Dockerfile'), 'utf8');

describe('one Node everywhere', () => {
  const pinned = pkg.devDependencies['node'] ?? '(not pinned)';
  const imageTag = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(dockerfile)?.[1];

  it('the image ships exactly the Node version package.json pins', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(imageTag).toBe(pinned);
  });

  it('the tests run on the pinned major, which engines requires', () => {
    const major = pinned.split('.')[0];
    expect(process.version.split('.')[0]).toBe(`v${major}`);
    expect(pkg.engines.node).toBe(`>=${major}`);
  });
});
