import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { GENESIS_PREV_HASH, chainHash } from './chain';
import {
  CheckpointError,
  KeyError,
  MAX_NOTE_BYTES,
  MAX_SIGNATURES,
  checkpointNoteHash,
  computeKeyId,
  formatCheckpoint,
  formatVerifierKey,
  generateSigningKey,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  signerFromPem,
  verifierKeyFromPem,
  verifyCheckpoint,
  verifyNote,
} from './checkpoint';
import type { CheckpointBody, CheckpointSigner } from './checkpoint';
import { MerkleFrontier } from './merkle';
import { leafHashOf } from './record';

interface GoNoteExample {
  peterVerifierKey: string;
  peterSignerKey: string;
  enochVerifierKey: string;
  text: string;
  peterSignatureLine: string;
  enochSignatureLine: string;
}

const GO = JSON.parse(
  readFileSync(join(__dirname, '..', 'test', 'fixtures', 'signed-note', 'go-note-example.json'), 'utf8'),
) as GoNoteExample;

/** PKCS #8 PEM of an Ed25519 private key seed (RFC 8410 §7 fixed prefix). */
function pemFromSeed(seed: Buffer): string {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
}

const OLD_KEY = generateSigningKey('audit-ledger.example/2024');
const NEW_KEY = generateSigningKey('audit-ledger.example/2025');
const ATTACKER_SAME_NAME = generateSigningKey('audit-ledger.example/2025');

const BODY: CheckpointBody = {
  origin: 'audit-ledger.example/tenant/acme',
  size: 1000,
  rootHash: Buffer.alloc(32, 0x11),
  time: '2025-01-31T12:00:00.000Z',
  prevNoteHash: Buffer.alloc(32, 0x22),
};

const BODY_TEXT =
  'audit-ledger.example/tenant/acme\n' +
  '1000\n' +
  'ERERERERERERERERERERERERERERERERERERERERERE=\n' +
  'time 2025-01-31T12:00:00.000Z\n' +
  'prev IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=\n';

function expectCheckpointError(check: () => unknown, message?: RegExp): void {
  expect(check).toThrow(CheckpointError);
  if (message !== undefined) {
    expect(check).toThrow(message);
  }
}

describe('signed-note interoperability (golang.org/x/mod sumdb/note example)', () => {
  const seed = Buffer.from(GO.peterSignerKey.split('+').slice(4).join('+'), 'base64'); // base64 may hold '+'
  const peter = signerFromPem('PeterNeumann', pemFromSeed(seed.subarray(1)));

  it('parses and re-formats the verifier keys, checking their key ids', () => {
    for (const text of [GO.peterVerifierKey, GO.enochVerifierKey]) {
      const key = parseVerifierKey(text);
      expect(formatVerifierKey(key)).toBe(text);
      expect(computeKeyId(key.name, key.publicKey).equals(key.keyId)).toBe(true);
    }
    expect(parseVerifierKey(GO.peterVerifierKey).keyId.toString('hex')).toBe('c74f20a3');
  });

  it('derives the same key id and public key from the private key', () => {
    expect(seed[0]).toBe(0x01);
    const key = parseVerifierKey(GO.peterVerifierKey);
    expect(peter.keyId.equals(key.keyId)).toBe(true);
    expect(peter.publicKey.equals(key.publicKey)).toBe(true);
  });

  it('signs the example text to the published note byte for byte', () => {
    expect(signNote(GO.text, peter)).toBe(`${GO.text}\n${GO.peterSignatureLine}`);
  });

  it('opens the published note, ignoring the signature of a key it does not trust', () => {
    const note = `${GO.text}\n${GO.peterSignatureLine}${GO.enochSignatureLine}`;
    const peterKey = parseVerifierKey(GO.peterVerifierKey);
    const enochKey = parseVerifierKey(GO.enochVerifierKey);
    expect(verifyNote(note, [peterKey])).toEqual({ text: GO.text, signedBy: ['PeterNeumann'] });
    expect(verifyNote(note, [enochKey, peterKey]).signedBy).toEqual(['PeterNeumann', 'EnochRoot']);
    expectCheckpointError(() => verifyNote(note, []), /no signature by a trusted key/);
    expectCheckpointError(() => verifyNote(note.replace('cryptography', 'cryptographY'), [peterKey]), /does not verify/);
  });

  it('is not a checkpoint', () => {
    expectCheckpointError(() => parseCheckpoint(`${GO.text}\n${GO.peterSignatureLine}`), /2 lines, expected 5/);
  });
});

describe('keys', () => {
  it('signs like RFC 8032 §7.1 TEST 1', () => {
    const signer = signerFromPem(
      'rfc8032',
      pemFromSeed(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')),
    );
    expect(signer.publicKey.toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(signer.sign(new Uint8Array()).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555' +
        'fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('computes the key id as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[0:4]', () => {
    const { name, publicKey, keyId } = NEW_KEY.verifierKey;
    const expected = createHash('sha256').update(`${name}\n\u0001`).update(publicKey).digest().subarray(0, 4);
    expect(keyId.equals(expected)).toBe(true);
    expect(NEW_KEY.signer.keyId.equals(keyId)).toBe(true);
  });

  it('round-trips generated keys through PEM and vkey text', () => {
    const fromPrivate = signerFromPem(NEW_KEY.signer.name, NEW_KEY.privateKeyPem);
    const fromPublic = verifierKeyFromPem(NEW_KEY.verifierKey.name, NEW_KEY.publicKeyPem);
    expect(fromPrivate.publicKey.equals(NEW_KEY.verifierKey.publicKey)).toBe(true);
    expect(fromPublic).toEqual(NEW_KEY.verifierKey);
    const vkey = formatVerifierKey(fromPublic);
    expect(vkey).toMatch(/^audit-ledger\.example\/2025\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/); // 0x01 ‖ 32 bytes
    expect(parseVerifierKey(vkey)).toEqual(fromPublic);
  });

  it('refuses keys of other types, private keys as verifier keys, and unreadable PEM', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPrivate = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => signerFromPem('k', ecPrivate)).toThrow(/not ed25519/);
    expect(() => verifierKeyFromPem('k', ecPublic)).toThrow(/not ed25519/);
    expect(() => verifierKeyFromPem('k', NEW_KEY.privateKeyPem)).toThrow(KeyError);
    expect(() => signerFromPem('k', NEW_KEY.publicKeyPem)).toThrow(KeyError);
    expect(() => signerFromPem('k', 'not a pem')).toThrow(KeyError);
    expect(() => verifierKeyFromPem('k', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow(KeyError);
  });

  it.each(['', 'has space', 'a+b', 'tab\tname', 'x'.repeat(256), 'zero\u200bwidth'])('refuses the key name %p', (name) => {
    expect(() => generateSigningKey(name)).toThrow(KeyError);
  });

  describe('parseVerifierKey', () => {
    // A random key id is all digits about 2 % of the time, and then upper-casing it changes
    // nothing: draw keys until the id has a hex letter so every case below means what it says.
    let subject = NEW_KEY;
    while (!/[a-f]/.test(subject.verifierKey.keyId.toString('hex'))) subject = generateSigningKey(NEW_KEY.verifierKey.name);
    const good = formatVerifierKey(subject.verifierKey);
    const name = subject.verifierKey.name;
    const id = subject.verifierKey.keyId.toString('hex');
    const key = good.split('+').slice(2).join('+');
    const otherId = ((parseInt(id, 16) + 1) % 2 ** 32).toString(16).padStart(8, '0');
    const raw = Buffer.from(key, 'base64');

    it.each<[string, string]>([
      ['no separators', name],
      ['no key', `${name}+${id}`],
      ['another key id', `${name}+${otherId}+${key}`],
      ['another name', `other+${id}+${key}`],
      ['an upper-case key id', `${name}+${id.toUpperCase()}+${key}`],
      ['a short key id', `${name}+${id.slice(1)}+${key}`],
      ['algorithm byte 2', `${name}+${id}+${Buffer.concat([Buffer.from([2]), raw.subarray(1)]).toString('base64')}`],
      ['a 31-byte key', `${name}+${id}+${raw.subarray(0, 32).toString('base64')}`],
      ['a 33-byte key', `${name}+${id}+${Buffer.concat([raw, Buffer.from([0])]).toString('base64')}`],
      ['padding after 33 bytes', `${name}+${id}+${key}=`],
      ['a space in the key', `${name}+${id}+${key.slice(0, 10)} ${key.slice(10)}`],
      ['trailing text', `${good}\n`],
      ['an empty name', `+${id}+${key}`],
    ])('refuses %s', (_label, text) => {
      expect(() => parseVerifierKey(text)).toThrow(KeyError);
    });

    it('refuses every single-character change', () => {
      const accepted: string[] = [];
      for (let i = 0; i < good.length; i++) {
        const mangled = good.slice(0, i) + String.fromCharCode(good.charCodeAt(i) + 1) + good.slice(i + 1);
        try {
          parseVerifierKey(mangled);
          accepted.push(mangled);
        } catch (error) {
          expect(error).toBeInstanceOf(KeyError);
        }
      }
      expect(accepted).toEqual([]);
    });
  });
});

describe('formatCheckpoint', () => {
  it('writes origin, size, root, time and prev lines, each ending in a newline', () => {
    expect(formatCheckpoint(BODY)).toBe(BODY_TEXT);
    expect(formatCheckpoint({ ...BODY, size: 0, prevNoteHash: null })).toBe(
      'audit-ledger.example/tenant/acme\n0\nERERERERERERERERERERERERERERERERERERERERERE=\ntime 2025-01-31T12:00:00.000Z\nprev -\n',
    );
  });

  it.each<[string, Partial<Record<keyof CheckpointBody, unknown>>]>([
    ['an origin with a space', { origin: 'audit ledger' }],
    ['an origin with a plus', { origin: 'a+b' }],
    ['an empty origin', { origin: '' }],
    ['a 256-byte origin', { origin: 'o'.repeat(256) }],
    ['a negative size', { size: -1 }],
    ['a fractional size', { size: 1.5 }],
    ['size 2^53', { size: 2 ** 53 }],
    ['a 31-byte root', { rootHash: Buffer.alloc(31) }],
    ['a root given as text', { rootHash: 'root' }],
    ['a time with an offset', { time: '2025-01-31T12:00:00+00:00' }],
    ['a time without seconds', { time: '2025-01-31T12:00Z' }],
    ['an impossible date', { time: '2025-02-30T12:00:00Z' }],
    ['hour 24', { time: '2025-01-31T24:00:00Z' }],
    ['a leap second', { time: '2016-12-31T23:59:60Z' }],
    ['a 33-byte prev', { prevNoteHash: Buffer.alloc(33) }],
  ])('refuses %s', (_label, change) => {
    expectCheckpointError(() => formatCheckpoint({ ...BODY, ...change } as CheckpointBody));
  });
});

describe('signCheckpoint / parseCheckpoint / verifyCheckpoint', () => {
  const note = signCheckpoint(BODY, NEW_KEY.signer);

  it('produces body, blank line, then "— <name> <base64(key id ‖ signature)>" lines', () => {
    const lines = note.split('\n');
    expect(lines.slice(0, 5).join('\n') + '\n').toBe(BODY_TEXT);
    expect(lines[5]).toBe('');
    expect(lines[6]).toMatch(/^\u2014 audit-ledger\.example\/2025 [A-Za-z0-9+/]{91}=$/);
    expect(lines[7]).toBe('');
    expect(lines).toHaveLength(8);
    const blob = Buffer.from((lines[6] as string).split(' ')[2] as string, 'base64');
    expect(blob.subarray(0, 4).equals(NEW_KEY.verifierKey.keyId)).toBe(true);
    expect(blob).toHaveLength(68);
  });

  it('round-trips', () => {
    const parsed = parseCheckpoint(note);
    expect(parsed.body).toEqual(BODY);
    expect(parsed.bodyText).toBe(BODY_TEXT);
    expect(parsed.signatures.map((signature) => signature.keyName)).toEqual(['audit-ledger.example/2025']);

    const verified = verifyCheckpoint(note, [NEW_KEY.verifierKey]);
    expect(verified).toMatchObject(BODY);
    expect(verified.signedBy).toEqual(['audit-ledger.example/2025']);
    expect(verified.noteHash.equals(createHash('sha256').update(note, 'utf8').digest())).toBe(true);
    expect(checkpointNoteHash(note).equals(verified.noteHash)).toBe(true);
  });

  it('round-trips the first checkpoint of an empty log', () => {
    const first = { ...BODY, size: 0, prevNoteHash: null };
    expect(verifyCheckpoint(signCheckpoint(first, OLD_KEY.signer), [OLD_KEY.verifierKey])).toMatchObject(first);
  });

  describe('key rotation', () => {
    const both = [OLD_KEY.verifierKey, NEW_KEY.verifierKey];

    it('verifies old checkpoints while the old key stays trusted, and new ones with the new key', () => {
      expect(verifyCheckpoint(signCheckpoint(BODY, OLD_KEY.signer), both).signedBy).toEqual([OLD_KEY.signer.name]);
      expect(verifyCheckpoint(signCheckpoint(BODY, NEW_KEY.signer), both).signedBy).toEqual([NEW_KEY.signer.name]);
    });

    it('verifies a note signed by both keys with either key alone, ignoring the unknown one', () => {
      const dual = signCheckpoint(BODY, [OLD_KEY.signer, NEW_KEY.signer]);
      expect(verifyCheckpoint(dual, [NEW_KEY.verifierKey]).signedBy).toEqual([NEW_KEY.signer.name]);
      expect(verifyCheckpoint(dual, [OLD_KEY.verifierKey]).signedBy).toEqual([OLD_KEY.signer.name]);
      expect(verifyCheckpoint(dual, both).signedBy).toEqual([OLD_KEY.signer.name, NEW_KEY.signer.name]);
    });

    it('rejects an old-key checkpoint once the old key is no longer trusted', () => {
      const old = signCheckpoint(BODY, OLD_KEY.signer);
      expectCheckpointError(() => verifyCheckpoint(old, [NEW_KEY.verifierKey]), /no signature by a trusted key/);
    });
  });

  describe('rejects tampering', () => {
    const trusted = [NEW_KEY.verifierKey];
    const lines = note.split('\n');
    const withLine = (index: number, line: string) => lines.map((old, i) => (i === index ? line : old)).join('\n');

    it.each<[string, string]>([
      ['origin', withLine(0, 'audit-ledger.example/tenant/globex')],
      ['size', withLine(1, '1001')],
      ['smaller size', withLine(1, '999')],
      ['root', withLine(2, Buffer.alloc(32, 0x12).toString('base64'))],
      ['time', withLine(3, 'time 2025-01-31T12:00:01.000Z')],
      ['prev', withLine(4, `prev ${Buffer.alloc(32, 0x23).toString('base64')}`)],
      ['prev removed', withLine(4, 'prev -')],
    ])('a modified %s', (_label, forged) => {
      expect(() => parseCheckpoint(forged)).not.toThrow();
      expectCheckpointError(() => verifyCheckpoint(forged, trusted), /does not verify/);
    });

    it('a forged signature (any single bit)', () => {
      const blob = Buffer.from((lines[6] as string).split(' ')[2] as string, 'base64');
      const accepted: number[] = [];
      for (let bit = 32; bit < blob.length * 8; bit += 7) {
        const bad = Buffer.from(blob);
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        const forged = withLine(6, `\u2014 ${NEW_KEY.signer.name} ${bad.toString('base64')}`);
        try {
          verifyCheckpoint(forged, trusted);
          accepted.push(bit);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
        }
      }
      expect(accepted).toEqual([]);
    });

    it('a signature by an untrusted key, even one using a trusted name', () => {
      const impostor = signCheckpoint(BODY, ATTACKER_SAME_NAME.signer);
      expectCheckpointError(() => verifyCheckpoint(impostor, trusted), /no signature by a trusted key/);
      expectCheckpointError(() => verifyCheckpoint(signCheckpoint(BODY, generateSigningKey('mallory').signer), trusted), /trusted/);
    });

    it('a bad signature by a trusted key next to a good one', () => {
      const dual = signCheckpoint(BODY, [OLD_KEY.signer, NEW_KEY.signer]).split('\n');
      const forgedOld = dual.map((line, i) => (i === 6 ? line.slice(0, -10) + 'AAAAAAAAA=' : line)).join('\n');
      expect(() => verifyCheckpoint(forgedOld, [NEW_KEY.verifierKey])).not.toThrow();
      expectCheckpointError(() => verifyCheckpoint(forgedOld, [OLD_KEY.verifierKey, NEW_KEY.verifierKey]), /does not verify/);
    });

    it('every truncation of the note', () => {
      const accepted: number[] = [];
      for (let length = 0; length < note.length; length++) {
        try {
          verifyCheckpoint(note.slice(0, length), trusted);
          accepted.push(length);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
        }
      }
      expect(accepted).toEqual([]);
    });

    it.each<[string, string]>([
      ['an extension line in the body', note.replace('prev ', 'extra line\nprev ')],
      ['a second blank line', note.replace('\n\n', '\n\n\n')],
      ['text after the signatures', `${note}unexpected line\n`],
      ['an empty line after the signatures', `${note}\n`],
      ['CRLF line ends', note.replace(/\n/g, '\r\n')],
      ['a trailing space on a signature line', note.replace(/\n$/, ' \n')],
      ['a hyphen instead of the em dash', note.replace('\u2014', '-')],
      ['a duplicated signature line', `${note}${lines[6] as string}\n`],
      ['a byte order mark', `\ufeff${note}`],
      ['a NUL', note.replace('1000', '10\u000000')],
      ['a lone surrogate', note.replace('acme', 'acme\ud800')],
    ])('%s', (_label, forged) => {
      expectCheckpointError(() => verifyCheckpoint(forged, trusted));
    });
  });

  describe('parses strictly (each body signed, so only the format is at fault)', () => {
    const trusted = [NEW_KEY.verifierKey];
    const root = BODY.rootHash.toString('base64');
    const prev = `prev ${(BODY.prevNoteHash as Buffer).toString('base64')}`;
    const signedBody = (...bodyLines: string[]) => signNote(`${bodyLines.join('\n')}\n`, NEW_KEY.signer);
    const origin = BODY.origin;
    const time = `time ${BODY.time}`;

    it.each<[string, string[]]>([
      ['a size with a leading zero', [origin, '01000', root, time, prev]],
      ['a size with a sign', [origin, '+1000', root, time, prev]],
      ['a size in exponent form', [origin, '1e3', root, time, prev]],
      ['a size with a fraction', [origin, '1000.0', root, time, prev]],
      ['a size with a space', [origin, ' 1000', root, time, prev]],
      ['a size of 2^53', [origin, '9007199254740992', root, time, prev]],
      ['an empty size', [origin, '', root, time, prev]],
      ['a hex size', [origin, '0x3e8', root, time, prev]],
      ['a 31-byte root', [origin, '1000', Buffer.alloc(31).toString('base64'), time, prev]],
      ['a 33-byte root', [origin, '1000', Buffer.alloc(33).toString('base64'), time, prev]],
      ['an unpadded root', [origin, '1000', root.replace('=', ''), time, prev]],
      ['a base64url root', [origin, '1000', Buffer.alloc(32, 0xfb).toString('base64url') + '=', time, prev]],
      ['a root with non-zero padding bits', [origin, '1000', root.replace(/.=$/, 'R='), time, prev]],
      ['a hex root', [origin, '1000', BODY.rootHash.toString('hex'), time, prev]],
      ['a 31-byte prev', [origin, '1000', root, time, `prev ${Buffer.alloc(31).toString('base64')}`]],
      ['an empty prev', [origin, '1000', root, time, 'prev ']],
      ['a time with an offset', [origin, '1000', root, 'time 2025-01-31T12:00:00+00:00', prev]],
      ['a time in lower case', [origin, '1000', root, 'time 2025-01-31t12:00:00z', prev]],
      ['a Unix time', [origin, '1000', root, 'time 1738324800', prev]],
      ['time and prev swapped', [origin, '1000', root, prev, time]],
      ['no prev line', [origin, '1000', root, time]],
      ['no time line', [origin, '1000', root, prev]],
      ['an extension line', [origin, '1000', root, time, prev, 'extension']],
      ['an origin with a space', ['audit ledger', '1000', root, time, prev]],
      ['a 256-byte origin', ['o'.repeat(256), '1000', root, time, prev]],
    ])('refuses %s', (_label, bodyLines) => {
      expectCheckpointError(() => verifyCheckpoint(signedBody(...bodyLines), trusted));
    });

    it('accepts the same body when it is well formed', () => {
      expect(verifyCheckpoint(signedBody(origin, '1000', root, time, prev), trusted)).toMatchObject(BODY);
    });

    it('refuses signature blobs of the wrong length', () => {
      const line = note.split('\n')[6] as string;
      const blob = Buffer.from(line.split(' ')[2] as string, 'base64');
      for (const bad of [blob.subarray(0, 67), Buffer.concat([blob, Buffer.from([0])]), blob.subarray(0, 4)]) {
        const forged = note.replace(line, `\u2014 ${NEW_KEY.signer.name} ${bad.toString('base64')}`);
        expectCheckpointError(() => parseCheckpoint(forged), /signature line 1/);
      }
    });

    it('enforces the size limits', () => {
      const keys = Array.from({ length: MAX_SIGNATURES + 1 }, (_, i) => generateSigningKey(`k${i}`).signer);
      expectCheckpointError(() => signCheckpoint(BODY, keys), /1 to 16 signers/);
      const many = signCheckpoint(BODY, keys.slice(0, MAX_SIGNATURES));
      expect(verifyCheckpoint(many, [keys[3] as CheckpointSigner]).signedBy).toEqual(['k3']);
      const extra = signCheckpoint(BODY, keys[MAX_SIGNATURES] as CheckpointSigner).split('\n\n')[1] as string;
      expectCheckpointError(() => parseCheckpoint(many + extra), /more than 16 signature lines/);
      expectCheckpointError(() => parseCheckpoint(`${'x'.repeat(MAX_NOTE_BYTES)}\n\n${extra}`), /longer than/);
      expectCheckpointError(() => parseCheckpoint(`${'x\n'.repeat(600)}\n${extra}`), /body is longer than 1024 bytes/);
    });
  });

  describe('signers', () => {
    it('refuses a signer listed twice, none, or one whose signature does not verify', () => {
      expectCheckpointError(() => signCheckpoint(BODY, [NEW_KEY.signer, NEW_KEY.signer]), /listed twice/);
      expectCheckpointError(() => signCheckpoint(BODY, []), /1 to 16/);
      const liar: CheckpointSigner = { ...NEW_KEY.signer, sign: (message) => OLD_KEY.signer.sign(message) };
      expectCheckpointError(() => signCheckpoint(BODY, liar), /does not verify with its public key/);
      const short: CheckpointSigner = { ...NEW_KEY.signer, sign: () => Buffer.alloc(63) };
      expectCheckpointError(() => signCheckpoint(BODY, short), /does not verify/);
    });

    it('refuses a signer whose key id does not match its name and key', () => {
      const renamed: CheckpointSigner = { ...NEW_KEY.signer, name: 'renamed' };
      expect(() => signCheckpoint(BODY, renamed)).toThrow(KeyError);
    });

    it('refuses trusted keys whose key id does not match', () => {
      const wrongId = { ...NEW_KEY.verifierKey, keyId: Buffer.alloc(4) };
      expect(() => verifyCheckpoint(signCheckpoint(BODY, NEW_KEY.signer), [wrongId])).toThrow(KeyError);
    });

    it('refuses note text that is not newline-terminated lines', () => {
      expectCheckpointError(() => signNote('no newline', NEW_KEY.signer), /newline/);
      expectCheckpointError(() => signNote('', NEW_KEY.signer), /non-empty/);
      expectCheckpointError(() => signNote('tab\there\n', NEW_KEY.signer), /control character/);
    });
  });

  it('parseNote splits at the last blank line', () => {
    const signed = signNote('a\n\nb\n', NEW_KEY.signer);
    expect(parseNote(signed).text).toBe('a\n\nb\n');
    expect(verifyNote(signed, [NEW_KEY.verifierKey]).text).toBe('a\n\nb\n');
  });
});

describe('the README example', () => {
  it('reproduces every value the README shows', () => {
    const entry = {
      id: '0190c1a2-7b3c-7def-8a12-3456789abcde',
      tenant: 'acme',
      type: 'deployment.succeeded',
      occurredAt: '2025-01-31T11:59:58.000Z',
      receivedAt: '2025-01-31T11:59:59.125Z',
      actor: { id: 'alice', type: 'user', roles: ['deployer'] },
      resource: { kind: 'service', id: 'payments', environment: 'prod' },
      seq: 1,
      recordedAt: '2025-01-31T12:00:00.000Z',
    };
    const leafHash = leafHashOf(entry);
    expect(chainHash(GENESIS_PREV_HASH, leafHash, 1).toString('hex')).toBe(
      '27144215dd76de4d58ec6808b17976cffbcf4633dbb2d3e70a5ca238d6329ef5',
    );
    const frontier = MerkleFrontier.empty();
    frontier.append(leafHash);
    expect(JSON.stringify(frontier)).toBe('{"size":1,"hashes":["kfOlBnmyZbPANbvNv01uPZkZxX86Kin8UdGaUZH8ilM="]}');

    // The public RFC 8032 §7.1 TEST 1 key, so the (deterministic) signature is reproducible.
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const signer = signerFromPem('audit-ledger.example/example-key', pemFromSeed(seed));
    const body = {
      origin: 'audit-ledger.example/tenant/acme',
      size: 1,
      rootHash: frontier.root(),
      time: '2025-01-31T12:00:05Z',
      prevNoteHash: null,
    };
    expect(signCheckpoint(body, signer)).toBe(
      'audit-ledger.example/tenant/acme\n' +
        '1\n' +
        'kfOlBnmyZbPANbvNv01uPZkZxX86Kin8UdGaUZH8ilM=\n' +
        'time 2025-01-31T12:00:05Z\n' +
        'prev -\n' +
        '\n' +
        '\u2014 audit-ledger.example/example-key ' +
        '5Z8N0wWPgZGOscCr6yah3slvamw5az/WiZeTvGgc9p+WbNaKBBk+MOi3GVV3LN8Ujn8L1JQv2IlUj4Z6mCC00R1+BwE=\n',
    );
    expect(formatVerifierKey(signer)).toBe(
      'audit-ledger.example/example-key+e59f0dd3+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea',
    );
  });
});
