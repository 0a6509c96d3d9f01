#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript; register the SWC transpiler (with the workspace's path aliases) and run it.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', '..', '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../src/main.ts').main();
