// Jest loads globalSetup without its moduleNameMapper, so register the workspace's path aliases first.
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, 'tsconfig.base.json');
require('@swc-node/register');
module.exports = require('./libs/testing/src/jest/global-setup.ts').default;
