import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The Nx module-boundary rule is what keeps the pure core pure: prove that a lint run fails on a forbidden
// import. ESLint runs as its own process (as `npm test` runs it), reading the code from stdin.
const root = join(__dirname, '..');

function boundaryErrors(file: string, code: string): { status: number | null; messages: string[] } {
  spawnSync(join(root, 'node_modules/.bin/nx'), ['show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' } });
  const run = spawnSync(join(root, 'node_modules/.bin/eslint'), ['--stdin', '--stdin-filename', join(root, file), '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  const messages = (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  return { status: run.status, messages };
}

describe('module boundaries', () => {
  it('fail lint when the pure ledger core imports a framework', () => {
    const r = boundaryErrors('libs/ledger-core/src/forbidden.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n");
    expect(r.status).toBe(1);
    expect(r.messages.join('\n')).toMatch(/tagged with "type:core" is not allowed to import "@nestjs\/common"/);
  });

  it('fail lint when the change model imports a framework or the database', () => {
    const nest = boundaryErrors('libs/change-lifecycle/src/forbidden.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n");
    expect(nest.status).toBe(1);
    expect(nest.messages.join('\n')).toMatch(/tagged with "type:domain" is not allowed to import "@nestjs\/common"/);
    const db = boundaryErrors('libs/change-lifecycle/src/forbidden.ts', "import { createPool } from '@audit/db';\nexport const x = createPool;\n");
    expect(db.status).toBe(1);
  });

  it('fail lint when the contracts import infrastructure', () => {
    const r = boundaryErrors('libs/contracts/src/forbidden.ts', "import { createPool } from '@audit/db';\nexport const x = createPool;\n");
    expect(r.status).toBe(1);
    expect(r.messages.join('\n')).toMatch(/tagged with "type:contracts" can only depend on libs tagged with "type:contracts"/);
  });

  it('fail lint when an infrastructure lib imports test tooling', () => {
    const r = boundaryErrors('libs/kafka/src/forbidden.ts', "import { expectEventually } from '@audit/testing';\nexport const x = expectEventually;\n");
    expect(r.status).toBe(1);
    expect(r.messages.length).toBe(1);
  });

  it('let a service use the infrastructure libs', () => {
    const r = boundaryErrors('apps/ledger/src/allowed.ts', "import { createPool } from '@audit/db';\nexport const x = createPool;\n");
    expect(r.messages).toEqual([]);
    expect(r.status).toBe(0);
  });
});
