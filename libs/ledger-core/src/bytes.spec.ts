import { decodeBase64Strict, hasLoneSurrogate, popCount } from './bytes';

describe('decodeBase64Strict', () => {
  it('decodes canonical padded standard base64', () => {
    expect(decodeBase64Strict('')?.length).toBe(0);
    expect(decodeBase64Strict('AQ==')?.toString('hex')).toBe('01');
    expect(decodeBase64Strict('AQI=')?.toString('hex')).toBe('0102');
    expect(decodeBase64Strict('+/+/')?.toString('hex')).toBe('fbffbf');
  });

  it.each(['AQ', 'AQ=', 'AR==', 'AQ==\n', ' AQ==', 'A Q==', '-_-_', 'AQ==AQ==', '====', 'A==='])(
    'refuses %p, which Buffer.from would decode leniently',
    (text) => {
      expect(decodeBase64Strict(text)).toBeUndefined();
    },
  );
});

describe('popCount', () => {
  it('counts bits beyond 32', () => {
    expect(popCount(0)).toBe(0);
    expect(popCount(0b1011)).toBe(3);
    expect(popCount(2 ** 40 + 3)).toBe(3);
    expect(popCount(Number.MAX_SAFE_INTEGER)).toBe(53);
  });
});

describe('hasLoneSurrogate', () => {
  it('finds unpaired surrogates only', () => {
    expect(hasLoneSurrogate('plain \u{1F600} text')).toBe(false);
    expect(hasLoneSurrogate('\uD83D')).toBe(true);
    expect(hasLoneSurrogate('x\uDE00')).toBe(true);
    expect(hasLoneSurrogate('\uDE00\uD83D')).toBe(true);
  });
});
