import { z } from 'zod';
import { IngestEnv } from '../../config';
import { secretScanner, secretScannerFromConfig, shannonEntropy } from './secret-scanner';

// Real-shaped samples written for this test (documentation examples or made up), never real secrets.
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GHP = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
const GITHUB_PAT = `github_pat_11ABCDEFG0${'x1Y2z3'.repeat(10)}`;
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImRlbW8ifQ.c2lnbmF0dXJlLW5vdC1yZWFsLTAxMjM0NTY3';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAexampleexampleexample\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n-----END RSA PRIVATE KEY-----';

describe('secretScanner', () => {
  const scan = secretScanner('test-salt');
  const one = (text: string) => scan.redactText(text);

  it.each([
    ['aws-access-key-id', `rotated ${AWS_KEY_ID} today`, AWS_KEY_ID],
    ['aws-secret-access-key', `new secret ${AWS_SECRET} in vault`, AWS_SECRET],
    ['aws-secret-access-key', `aws_secret_access_key=${AWS_SECRET}`, AWS_SECRET],
    ['github-token', `used ${GHP} for the push`, GHP],
    ['github-token', `pat ${GITHUB_PAT}`, GITHUB_PAT],
    ['slack-token', `webhook via ${SLACK}`, SLACK],
    ['jwt', `curl -H "x-token: ${JWT}"`, JWT],
    ['private-key', `key:\n${PEM}\nend`, 'MIIEowIBAAKCAQEAexampleexampleexample'],
    ['url-password', 'db at postgres://admin:s3cr3t-P4ss@db.internal:5432/app', 's3cr3t-P4ss'],
    ['bearer-token', 'called with Authorization: Bearer abc123DEF456ghi789', 'abc123DEF456ghi789'],
    ['password-assignment', 'set password=hunter2 on the replica', 'hunter2'],
    ['password-assignment', 'client_secret: "Zm9vYmFyYmF6cXV4"', 'Zm9vYmFyYmF6cXV4'],
    ['password-assignment', 'the secret is Tr0ub4dor&3', 'Tr0ub4dor'],
    ['high-entropy-token', 'deploy key -> q8Zr2Lx0Vw7Mk3Pn9Tb5Yc1', 'q8Zr2Lx0Vw7Mk3Pn9Tb5Yc1'],
  ])('%s: %s', (kind, text, secret) => {
    const r = one(text);
    expect(r.redacted).toBeGreaterThanOrEqual(1);
    expect(r.text).not.toContain(secret);
    expect(r.text).toMatch(new RegExp(`\\[REDACTED:${kind}:[0-9a-f]{8}\\]`));
  });

  it('keeps the text around a secret and leaves ordinary text alone', () => {
    expect(one('set password=hunter2 on the replica').text).toMatch(/^set password=\[REDACTED:password-assignment:[0-9a-f]{8}\] on the replica$/);
    for (const text of [
      'raise max_connections on the payments database',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b reviewed',
      'image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'password reset flow for users',
      'https://github.com/acme/infra/pull/42',
    ]) {
      expect(one(text)).toEqual({ text, redacted: 0 });
    }
  });

  it('gives the same secret the same digest and different secrets different ones; the salt changes both', () => {
    const a = one(`k ${AWS_KEY_ID}`).text;
    const b = one(`again ${AWS_KEY_ID}`).text.replace('again', 'k');
    expect(a).toBe(b);
    expect(one('k AKIAIOSFODNN7EXAMPL2').text).not.toBe(a);
    expect(secretScanner('other-salt').redactText(`k ${AWS_KEY_ID}`).text).not.toBe(a);
  });

  it('is idempotent: a marker is never redacted again', () => {
    const once = one(`password=hunter2 token: ${GHP}`);
    expect(one(once.text)).toEqual({ text: once.text, redacted: 0 });
  });

  it('redacts every string in details, and secret-named keys whatever their value', () => {
    const r = scan.redactJson({ ticket: 'OPS-1', password: 'hunter2', nested: [{ note: `key ${AWS_KEY_ID}` }, 42, true], db_password: 'x1', count: 3 });
    expect(r.redacted).toBe(3);
    expect(r.value).toEqual({
      ticket: 'OPS-1',
      password: expect.stringMatching(/^\[REDACTED:secret-field:[0-9a-f]{8}\]$/),
      nested: [{ note: expect.stringMatching(/^key \[REDACTED:aws-access-key-id:[0-9a-f]{8}\]$/) }, 42, true],
      db_password: expect.stringMatching(/^\[REDACTED:secret-field:/),
      count: 3,
    });
  });

  it('redacts an event: reason, resource name, display name and details; returns it untouched when clean', () => {
    const event = { type: 'x', reason: `rotated ${AWS_SECRET}`, resource: { id: 'r', name: 'db' }, actor: { id: 'a', displayName: 'Alice' }, details: { token: 'abc' } };
    const r = scan.redactEvent(event);
    expect(r.redacted).toBe(2);
    expect(r.event.reason).toMatch(/^rotated \[REDACTED:aws-secret-access-key:/);
    expect(r.event.details).toEqual({ token: expect.stringMatching(/^\[REDACTED:secret-field:/) });
    expect(r.event.resource).toEqual({ id: 'r', name: 'db' });
    const clean = { type: 'x', reason: 'fine', resource: { id: 'r' }, actor: { id: 'a' } };
    expect(scan.redactEvent(clean)).toEqual({ event: clean, redacted: 0 });
  });

  it('entropy tells random tokens from words', () => {
    expect(shannonEntropy('q8Zr2Lx0Vw7Mk3Pn9Tb5Yc1')).toBeGreaterThan(3.5);
    expect(shannonEntropy('aaaaaaaaaaaaaaaaaaaaaaa')).toBeLessThan(1);
  });
});

describe('secretScannerFromConfig', () => {
  it('refuses the public development salt in production, and takes any salt elsewhere', () => {
    expect(() => secretScannerFromConfig({ NODE_ENV: 'production', SECRET_SCAN_SALT: 'dev-salt-0123456789' }, 'dev-salt-0123456789')).toThrow(/SECRET_SCAN_SALT must be set in production/);
    expect(secretScannerFromConfig({ NODE_ENV: 'production', SECRET_SCAN_SALT: 'a-real-random-salt-value' }, 'dev-salt-0123456789').redactText('password=hunter2').redacted).toBe(1);
    expect(secretScannerFromConfig({ NODE_ENV: 'development', SECRET_SCAN_SALT: 'dev-salt-0123456789' }, 'dev-salt-0123456789')).toBeDefined();
  });
});

describe('per-tenant patterns', () => {
  const scan = secretScanner('test-salt', { acme: ['ACME-[0-9A-F]{24}'] });
  it('apply to their tenant only, after the built-in shapes', () => {
    const text = 'ref ACME-0123456789ABCDEF01234567 and AKIAIOSFODNN7EXAMPLE';
    const acme = scan.forTenant('acme').redactText(text);
    expect(acme.redacted).toBe(2);
    expect(acme.text).toMatch(/^ref \[REDACTED:tenant-pattern:[0-9a-f]{8}\] and \[REDACTED:aws-access-key-id:[0-9a-f]{8}\]$/);
    const other = scan.forTenant('globex').redactText(text);
    expect(other.text).toContain('ACME-0123456789ABCDEF01234567');
    expect(other.redacted).toBe(1);
  });
});

describe('SECRET_SCAN_TENANT_PATTERNS', () => {
  const parse = (value: string) => z.object({ SECRET_SCAN_TENANT_PATTERNS: IngestEnv.SECRET_SCAN_TENANT_PATTERNS }).safeParse({ SECRET_SCAN_TENANT_PATTERNS: value });
  it('reads tenant → patterns and names what is wrong', () => {
    expect(parse('{"acme":["ACME-[0-9]{8}"]}')).toMatchObject({ success: true, data: { SECRET_SCAN_TENANT_PATTERNS: { acme: ['ACME-[0-9]{8}'] } } });
    for (const bad of ['[', '{"acme":["(unclosed"]}', '{"acme":["x*"]}', '{"NOT A TENANT":["ACME-[0-9]{8}"]}']) expect(parse(bad).success).toBe(false);
  });
});
