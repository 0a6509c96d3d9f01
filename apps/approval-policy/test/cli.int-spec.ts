import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aDigest } from '@audit/testing';
import { runCli } from '../../cli/src/main';
import { ApprovalHarness, story } from './support/approval-harness';

/** `audit-ledger policy apply` and `audit-ledger gate` against the service listening on a real port. */
describe('audit-ledger policy / gate', () => {
  const h = new ApprovalHarness();
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));

  beforeAll(async () => {
    await h.start();
    await h.app.listen(0, '127.0.0.1');
    url = await h.app.getUrl();
  });
  afterAll(() => h.close());

  async function cli(argv: string[], env: Record<string, string>) {
    let out = '';
    let err = '';
    const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env });
    return { code, out, err };
  }

  it('applies a YAML policy, refusing a bad one with the rule path and CEL position', async () => {
    const env = { AUDIT_POLICY_URL: url, AUDIT_POLICY_TOKEN: await h.token({ sub: 'admin', roles: ['admin'] }) };
    writeFileSync(
      join(dir, 'bad.yaml'),
      `groups: [{name: sre, members: [bob]}]\nrules:\n  - name: broken\n    when: plan.destroys >\n    require: {allow: true}\n`,
    );
    const bad = await cli(['policy', 'apply', '--file', join(dir, 'bad.yaml')], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rules\[0\]\.when: CEL error at line 1, column 16/);

    writeFileSync(
      join(dir, 'good.yaml'),
      [
        'groups:',
        '  - {name: sre, members: [bob, carol]}',
        'rules:',
        '  - name: prod',
        '    when: change.environment == "prod"',
        '    require: {approvals: [{group: sre, count: 1}]}',
        '  - name: rest',
        '    when: "true"',
        '    require: {allow: true}',
        '',
      ].join('\n'),
    );
    expect(await cli(['policy', 'apply', '--file', join(dir, 'good.yaml'), '--dry-run'], env)).toMatchObject({ code: 0, out: expect.stringMatching(/^policy is valid \(2 rules/) });
    expect(await cli(['policy', 'apply', '--file', join(dir, 'good.yaml')], env)).toMatchObject({ code: 0, out: expect.stringMatching(/^published policy version 1 /) });
  });

  it('gate exits 0 on allow and 1 on deny, printing the reasons', async () => {
    const env = { AUDIT_GATE_URL: url, AUDIT_GATE_TOKEN: await h.token({ sub: 'ci', groups: ['pipelines'] }) };
    const plan = aDigest();
    await h.emit(story('CHG-cli-prod').request('alice'));
    await h.emit(story('CHG-cli-prod').plan(plan));
    await h.emit(story('CHG-cli-dev', 'dev').request('alice'));
    await h.emit(story('CHG-cli-dev', 'dev').plan(plan));
    await h.viewHas('CHG-cli-prod', 2);
    await h.viewHas('CHG-cli-dev', 2);

    const deny = await cli(['gate', '--change', 'CHG-cli-prod', '--env', 'prod', '--plan-digest', plan], env);
    expect(deny).toMatchObject({ code: 1, err: expect.stringMatching(/gate: DENY change CHG-cli-prod[\s\S]*missing:\s+1 approval\(s\) from sre \(have 0\)/) });
    const allow = await cli(['gate', '--change', 'CHG-cli-dev', '--env', 'dev', '--plan-digest', plan], env);
    expect(allow).toMatchObject({ code: 0, out: expect.stringMatching(/gate: ALLOW change CHG-cli-dev \(allowed; rule rest, policy v1\)/) });
    expect(await cli(['gate', '--change', 'CHG-cli-dev'], env)).toMatchObject({ code: 2 });
  });
});
