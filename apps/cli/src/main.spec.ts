import { runCli } from './main';
import { usageErrorFromParser } from './usage-error';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  // No database or service address: every case below must end before a command reaches either.
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} });
  return { code, stdout, stderr };
}

describe('audit-ledger --version', () => {
  it('prints the CLI version and the Node it runs on, exit 0', async () => {
    const { code, stdout, stderr } = await cli('--version');
    expect(code).toBe(0);
    expect(stdout).toBe(`audit-ledger 0.1.0 (node ${process.version})\n`);
    expect(stderr).toBe('');
  });
});

describe('usage errors exit 2 with the command usage, in our words', () => {
  it.each([
    { argv: ['emit', '--bogus'], says: 'audit-ledger emit: unknown option --bogus', usage: 'audit-ledger emit --file events.jsonl' },
    { argv: ['apikey', 'create', '--tenant'], says: 'audit-ledger apikey: --tenant needs a value', usage: 'audit-ledger apikey revoke <keyId>' },
    { argv: ['verify', '--json=yes', '--tenant', 'acme'], says: 'audit-ledger verify: --json takes no value', usage: 'audit-ledger verify --tenant acme' },
    { argv: ['verify', 'acme'], says: 'audit-ledger verify: unexpected argument "acme"', usage: 'audit-ledger verify --tenant acme' },
    // A missing required argument the command itself checks (before any database is opened).
    { argv: ['apikey', 'create'], says: 'audit-ledger apikey: --tenant is required', usage: 'audit-ledger apikey revoke <keyId>' },
  ])('$argv', async ({ argv, says, usage }) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(says);
    expect(stderr).toContain('usage:');
    expect(stderr).toContain(usage);
    // Node's message for programmers is not what the user sees.
    expect(stderr).not.toMatch(/To specify a positional argument|ERR_PARSE_ARGS/);
  });

  it('an unknown command exits 2 with the overview', async () => {
    const { code, stderr } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('audit-ledger: unknown command "frobnicate"');
    expect(stderr).toContain('usage: audit-ledger <command> [options]');
  });
});

describe('usageErrorFromParser', () => {
  it('leaves errors that are not the parser’s alone (they exit 1 as failures)', () => {
    expect(usageErrorFromParser(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(usageErrorFromParser(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
    expect(usageErrorFromParser(undefined)).toBeUndefined();
  });
});
