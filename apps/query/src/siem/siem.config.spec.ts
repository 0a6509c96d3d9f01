import { parseEnv, ConfigError } from '@audit/config';
import { QueryEnv } from '../config';
import { redactUrl, resolveSinkToken, SiemSinkConfig, siemEnv } from './siem.config';

const parse = (sinks: unknown) => parseEnv(siemEnv, { SIEM_SINKS: JSON.stringify(sinks) }).SIEM_SINKS;
const problems = (sinks: unknown): { variable: string; message: string }[] => {
  try {
    parse(sinks);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('SIEM sink configuration', () => {
  it('is off by default: no SIEM_SINKS means no sink', () => {
    expect(parseEnv(QueryEnv, { SERVICE_CREDENTIAL_SECRET: 's'.repeat(32) }).SIEM_SINKS).toEqual([]);
  });

  it('fills defaults and appends the HEC event path to a bare HEC URL', () => {
    const [hec, ndjson] = parse([
      { name: 'splunk', format: 'splunk-hec', url: 'https://splunk.example:8088', tokenEnv: 'HEC_TOKEN' },
      { name: 'lake', format: 'ndjson', url: 'https://lake.example/ingest', tenants: ['acme'] },
    ]);
    expect(hec).toMatchObject({
      url: 'https://splunk.example:8088/services/collector/event',
      source: 'audit-ledger',
      sourcetype: 'audit-ledger:committed',
      batchMaxEvents: 500,
      batchMaxBytes: 1_000_000,
      gzip: false,
      timeoutMs: 10_000,
      retryBaseMs: 500,
      retryMaxMs: 60_000,
      rejectedRetryMs: 300_000,
    });
    expect(hec!.index).toBeUndefined();
    expect(hec!.tenants).toBeUndefined();
    expect(ndjson).toMatchObject({ url: 'https://lake.example/ingest', tenants: ['acme'] });
  });

  it('keeps an explicit HEC path (e.g. a proxy in front of Splunk)', () => {
    expect(parse([{ name: 'p', format: 'splunk-hec', url: 'http://proxy:9000/hec/event', token: 't' }])[0]!.url).toBe('http://proxy:9000/hec/event');
  });

  it('names the field and the rule of every bad entry', () => {
    expect(problems([{ name: 'Bad Name', format: 'syslog', url: 'ftp://x', token: '' }])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variable: 'SIEM_SINKS.0.name', message: expect.stringContaining('lowercase') }),
        expect.objectContaining({ variable: 'SIEM_SINKS.0.format' }),
        expect.objectContaining({ variable: 'SIEM_SINKS.0.url', message: 'must be an http(s):// URL' }),
        expect.objectContaining({ variable: 'SIEM_SINKS.0.token', message: 'must not be empty' }),
      ]),
    );
    expect(problems([{ name: 'a', format: 'ndjson', url: 'http://x', batchMaxEvents: 0, tenants: ['Not A Tenant'] }])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variable: 'SIEM_SINKS.0.batchMaxEvents' }),
        expect.objectContaining({ variable: 'SIEM_SINKS.0.tenants.0' }),
      ]),
    );
    expect(problems([{ name: 'a', format: 'ndjson', url: 'http://x', surprise: 1 }])[0]!.variable).toBe('SIEM_SINKS.0');
  });

  it('refuses a HEC sink without a token, two token sources, duplicate names and non-JSON', () => {
    expect(problems([{ name: 'a', format: 'splunk-hec', url: 'http://x' }])).toEqual([
      { variable: 'SIEM_SINKS.0.token', message: 'a splunk-hec sink needs a token (token, tokenEnv or tokenFile)' },
    ]);
    expect(problems([{ name: 'a', format: 'ndjson', url: 'http://x', token: 't', tokenEnv: 'T' }])).toEqual([
      { variable: 'SIEM_SINKS.0.token', message: 'give at most one of token, tokenEnv, tokenFile' },
    ]);
    expect(problems([{ name: 'a', format: 'ndjson', url: 'http://x' }, { name: 'a', format: 'ndjson', url: 'http://y' }])).toEqual([
      { variable: 'SIEM_SINKS', message: 'sink names must be unique' },
    ]);
    expect(() => parseEnv(siemEnv, { SIEM_SINKS: '[{' })).toThrow(/SIEM_SINKS: must be a JSON array of sinks/);
  });

  it('reads the secret from the environment or a file, naming the sink and source (never the value) when missing', () => {
    const sink = (extra: object) => SiemSinkConfig.parse({ name: 's', format: 'splunk-hec', url: 'http://x', ...extra });
    expect(resolveSinkToken(sink({ token: 'inline' }))).toBe('inline');
    expect(resolveSinkToken(sink({ tokenEnv: 'HEC_T' }), { HEC_T: 'from-env' })).toBe('from-env');
    expect(resolveSinkToken(sink({ tokenFile: '/run/secrets/hec' }), {}, () => '  from-file\n')).toBe('from-file');
    expect(() => resolveSinkToken(sink({ tokenEnv: 'HEC_T' }), {})).toThrow('SIEM sink "s": tokenEnv names HEC_T, which is not set');
    const missing = Object.assign(new Error('nope'), { code: 'ENOENT' });
    expect(() =>
      resolveSinkToken(sink({ tokenFile: '/run/secrets/hec' }), {}, () => {
        throw missing;
      }),
    ).toThrow('SIEM sink "s": tokenFile /run/secrets/hec cannot be read (ENOENT)');
    expect(() => resolveSinkToken(sink({ tokenFile: '/f' }), {}, () => '\n')).toThrow('tokenFile /f is empty');
    expect(resolveSinkToken(SiemSinkConfig.parse({ name: 'n', format: 'ndjson', url: 'http://x' }))).toBeUndefined();
  });

  it('logs URLs without user info or query string', () => {
    expect(redactUrl('https://user:secret@siem.example:8443/hook?token=abc#x')).toBe('https://siem.example:8443/hook');
  });
});
