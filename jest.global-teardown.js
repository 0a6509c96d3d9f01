process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, 'tsconfig.base.json');
require('@swc-node/register');
module.exports = require('./libs/testing/src/jest/global-teardown.ts').default;
