import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { transformFile, type Options } from '@swc/core';

/**
 * The image's build step: compiles the services, the libs and the migration tool from TypeScript to
 * CommonJS with the same SWC settings the services run with in development (.swcrc: legacy decorators +
 * metadata, which Nest's injection needs), rewriting the `@audit/*` path aliases of tsconfig.base.json to
 * relative requires, and copies each service's SQL migrations beside its code. The tree keeps the source
 * layout (apps/<svc>/src/main.js, apps/<svc>/migrations), so `__dirname`-relative paths behave as in dev.
 *
 *   node -r @swc-node/register deploy/docker/build-runtime.ts <outDir>
 */

export const SERVICES = ['ingest', 'approval-policy', 'ledger', 'query'] as const;

/** Test support, benches and specs never reach production code, so they stay out of the image. */
const SKIPPED_DIRS = new Set(['node_modules', 'test', 'bench', 'scripts']);
const isSource = (name: string) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.int-spec.ts');

function sourcesUnder(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...sourcesUnder(root, rel));
    } else if (isSource(entry.name)) {
      found.push(rel);
    }
  }
  return found;
}

/** Files compiled into the image: the four services, every lib except the test kit, and the migration tool. */
export function runtimeSources(root: string): string[] {
  const libs = readdirSync(join(root, 'libs'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'testing')
    .map((d) => join('libs', d.name, 'src'));
  return [
    ...SERVICES.map((s) => join('apps', s, 'src')),
    ...libs,
  ]
    .flatMap((dir) => sourcesUnder(root, dir))
    .concat(['tools/migrate.ts', 'tools/migrations.ts']);
}

export async function buildRuntimeTree(root: string, outDir: string): Promise<{ compiled: number; migrations: number }> {
  const rootAbs = resolve(root);
  const swcrc = JSON.parse(readFileSync(join(rootAbs, '.swcrc'), 'utf8')) as Options & { $schema?: string };
  const { compilerOptions } = JSON.parse(readFileSync(join(rootAbs, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  delete swcrc.$schema;
  const options: Options = {
    ...swcrc,
    swcrc: false,
    // Stack traces point at the compiled files, which keep the source layout; no inline maps to ship.
    sourceMaps: false,
    // SWC resolves the aliases against baseUrl (must be absolute) and emits relative requires.
    jsc: { ...swcrc.jsc, baseUrl: rootAbs, paths: compilerOptions.paths },
  };
  const sources = runtimeSources(rootAbs);
  for (const file of sources) {
    const { code } = await transformFile(join(rootAbs, file), options);
    const dest = join(outDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, code);
  }
  let migrations = 0;
  for (const service of SERVICES) {
    const dir = join('apps', service, 'migrations');
    let files: string[];
    try {
      files = readdirSync(join(rootAbs, dir)).filter((f) => f.endsWith('.sql'));
    } catch {
      continue;
    }
    mkdirSync(join(outDir, dir), { recursive: true });
    for (const f of files) copyFileSync(join(rootAbs, dir, f), join(outDir, dir, f));
    migrations += files.length;
  }
  return { compiled: sources.length, migrations };
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: build-runtime.ts <outDir>\n');
    process.exit(2);
  }
  buildRuntimeTree(process.cwd(), resolve(outDir)).then(
    (r) => process.stdout.write(`compiled ${r.compiled} files, copied ${r.migrations} migrations into ${outDir}\n`),
    (error: unknown) => {
      process.stderr.write(`build failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
