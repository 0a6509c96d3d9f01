// Maps the `@audit/*` aliases of tsconfig.base.json to their files for code that jest loads outside its
// module registry (globalSetup/globalTeardown). Jest's own transform compiles the TypeScript.
const Module = require('node:module');
const path = require('node:path');
const { compilerOptions } = require('../../tsconfig.base.json');

const root = path.join(__dirname, '..', '..');
const aliases = new Map(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, path.join(root, target)]));
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};
