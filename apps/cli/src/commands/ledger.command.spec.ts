import { runCli } from '../main';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env });
  return { code, out, err };
}

describe('audit-ledger ledger reset-position (arguments)', () => {
  it('names each bad option and the rule, before touching anything', async () => {
    const r = await cli(['ledger', 'reset-position', '--partition', 'one', '--to=-1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--partition: must be a whole number ≥ 0');
    expect(r.err).toContain('--to: must be a whole number ≥ 0');
    expect(r.err).toContain('--reason');
  });

  it('refuses to reset unrecorded (no KAFKA_BROKERS)', async () => {
    const r = await cli(['ledger', 'reset-position', '--partition', '0', '--reason', 'x'], {});
    expect(r.code).toBe(2);
    expect(r.err).toContain('KAFKA_BROKERS must be set');
  });

  it('refuses --by: the operator comes from the credentials, so nobody can record somebody else', async () => {
    const r = await cli(['ledger', 'reset-position', '--partition', '0', '--by', 'ops', '--reason', 'x'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--by is not accepted');
  });

  it('wants a subcommand', async () => {
    expect((await cli(['ledger'])).code).toBe(2);
  });
});
