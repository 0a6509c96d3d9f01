// Jest loads globalSetup without its moduleNameMapper, so resolve the workspace's path aliases
// (tsconfig.base.json "paths") here before loading the TypeScript setup.
require('./tools/jest/register-path-aliases');
module.exports = require('./libs/testing/src/jest/global-setup.ts').default;
