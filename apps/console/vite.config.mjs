// Builds the browser bundle into dist/console (served by apps/console/server). JSX is compiled by Vite's
// own transformer (automatic runtime); no React plugin is needed for a production build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./web'),
  base: '/',
  logLevel: 'warn',
  resolve: {
    // Only the pure, node:crypto-free part of ledger-core reaches the browser (the rest runs via WebCrypto).
    alias: { '@audit/ledger-core/jcs': here('../../libs/ledger-core/src/jcs.ts') },
  },
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: here('../../dist/console'), emptyOutDir: true, sourcemap: true, target: 'es2022' },
});
