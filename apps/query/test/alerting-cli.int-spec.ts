import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aTenant } from '@audit/testing';
import { runCli } from '../../cli/src/main';
import { AlertingHarness } from './support/alerting-harness';

/** `audit-ledger rules apply` against the query service listening on a real port. */
describe('audit-ledger rules apply', () => {
  const h = new AlertingHarness();
  const tenant = aTenant('cli');
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    await h.start({ ALERTING_ENABLED: 'false' });
    await h.app.listen(0, '127.0.0.1');
    env = { AUDIT_QUERY_URL: await h.app.getUrl(), AUDIT_QUERY_TOKEN: await h.token(tenant, ['admin']) };
  });
  afterAll(() => h.stop());

  async function cli(argv: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env });
    return { code, out, err };
  }

  it('applies nothing when one rule is invalid, naming the rule and field; then applies and versions a valid file', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'rules:\n  ok-rule:\n    type: match\n    name: ok\n  broken:\n    type: frequency\n    name: broken\n    threshold: 5\n    window: 10 minutes\n',
    );
    const bad = await cli(['rules', 'apply', '--file', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/broken\.window: must be a number followed by s, m, h or d/);
    expect((await h.call('GET', '/v1/alert-rules', env.AUDIT_QUERY_TOKEN!)).body.rules.map((r: { id: string }) => r.id)).not.toContain('ok-rule');

    writeFileSync(
      join(dir, 'rules.yaml'),
      'rules:\n  failed-deploys:\n    type: frequency\n    name: failed deploys\n    filter: type:deployment.failed env:prod\n    threshold: 5\n    window: 10m\n  builtin.off-hours-change:\n    type: off_hours_change\n    name: off hours\n    timeZone: Europe/Paris\n',
    );
    const applied = await cli(['rules', 'apply', '--file', join(dir, 'rules.yaml')]);
    expect([applied.code, applied.out]).toEqual([0, 'failed-deploys: created (version 1)\nbuiltin.off-hours-change: created (version 1)\n']);
    const again = await cli(['rules', 'apply', '--file', join(dir, 'rules.yaml')]);
    expect(again.out).toBe('failed-deploys: unchanged (version 1)\nbuiltin.off-hours-change: unchanged (version 1)\n');
  });
});
