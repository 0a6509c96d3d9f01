import { OutboundPolicy, OutboundRefusedError, type ResolvedAddress } from './outbound-policy';

const dns: Record<string, ResolvedAddress[]> = {
  'hooks.example.com': [{ address: '93.184.215.14', family: 4 }],
  'rebind.example.com': [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }],
  'internal.example.com': [{ address: '192.168.3.4', family: 4 }],
  'meta.example.com': [{ address: 'fd00:ec2::254', family: 6 }],
};
const resolve = async (host: string) => {
  const found = dns[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

describe('OutboundPolicy', () => {
  const strict = new OutboundPolicy({ hosts: [], cidrs: [] }, resolve);

  it.each([
    ['http://127.0.0.1:9200/_search', 'loopback'],
    ['http://localhost:9200/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://[::1]:9200/', 'loopback'],
    ['http://2130706433/', 'ip-form'],
    ['http://0177.0.0.1/', 'ip-form'],
    ['http://0x7f000001/', 'ip-form'],
    ['http://0x7f.1/', 'ip-form'],
    ['http://127.1/', 'ip-form'],
    ['http://[::ffff:127.0.0.1]/', 'ip-form'],
    ['http://[::ffff:8.8.8.8]/', 'ip-form'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://10.0.0.1/', 'private'],
    ['http://100.64.0.1/', 'cgnat'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[fc00::1]/', 'unique-local'],
    ['ftp://hooks.example.com/', 'scheme'],
  ])('refuses %s as written (%s)', (url, rule) => {
    expect(strict.checkForm(url)?.rule).toBe(rule);
  });

  it('accepts a public literal and a public name as written', () => {
    expect(strict.checkForm('https://93.184.215.14/hook')).toBeUndefined();
    expect(strict.checkForm('https://hooks.example.com/hook')).toBeUndefined();
  });

  it('resolves names: refused when any address is not public, or the name does not resolve', async () => {
    expect(await strict.check('https://hooks.example.com/x')).toBeUndefined();
    expect(await strict.check('https://internal.example.com/x')).toMatchObject({ rule: 'private' });
    expect(await strict.check('https://rebind.example.com/x')).toMatchObject({ rule: 'private' });
    expect(await strict.check('https://meta.example.com/x')).toMatchObject({ rule: 'metadata' });
    expect(await strict.check('https://nowhere.example.com/x')).toMatchObject({ rule: 'dns' });
  });

  it('resolveAllowed returns the checked address to connect to, or throws the refusal', async () => {
    await expect(strict.resolveAllowed('hooks.example.com')).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    await expect(strict.resolveAllowed('internal.example.com')).rejects.toBeInstanceOf(OutboundRefusedError);
    await expect(strict.resolveAllowed('127.0.0.1')).rejects.toMatchObject({ refusal: { rule: 'loopback' } });
  });

  it('lets the operator allow a CIDR or a host name, and nothing more', async () => {
    const allowing = new OutboundPolicy({ hosts: ['internal.example.com'], cidrs: ['127.0.0.1/32', 'fd00::/16'] }, resolve);
    expect(allowing.checkForm('http://127.0.0.1:8080/')).toBeUndefined();
    expect(allowing.checkForm('http://127.0.0.2:8080/')?.rule).toBe('loopback');
    expect(allowing.checkForm('http://[fd00::5]/')).toBeUndefined();
    expect(allowing.checkForm('http://2130706433/')?.rule).toBe('ip-form');
    expect(await allowing.check('https://internal.example.com/')).toBeUndefined();
    expect(await allowing.check('https://rebind.example.com/')).toMatchObject({ rule: 'private' });
  });
});
