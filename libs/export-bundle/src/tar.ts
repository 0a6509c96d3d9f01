/**
 * A minimal POSIX ustar writer and reader: regular files only, names ≤ 100 bytes, no links. Enough for
 * the export bundle and small enough to audit; the reader treats the archive as hostile.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

const BLOCK = 512;
/** ustar's 11 octal digits of size: 8 GiB − 1 per file. */
const MAX_FILE_BYTES = 8 ** 11 - 1;

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

/** The 512-byte ustar header of a regular file. `mtime` in seconds since the epoch. */
export function tarHeader(name: string, size: number, mtime: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new TarError(`tar entry name must be 1–100 bytes: ${name}`);
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_BYTES) throw new TarError(`tar entry ${name} has an unsupported size ${size}`);
  const header = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(header, 0);
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2, 0);

/** Yields the archive's chunks: each file (read from disk as a stream) with its header and padding. */
export async function* tarStream(files: readonly { name: string; path: string; size: number }[], mtime: number): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield tarHeader(file.name, file.size, mtime);
    let written = 0;
    for await (const chunk of createReadStream(file.path)) {
      written += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (written !== file.size) throw new TarError(`${file.name} changed while being archived (${written} bytes, expected ${file.size})`);
    yield tarPadding(file.size);
  }
  yield TAR_END;
}

export interface TarEntryHandler {
  /** Called at the start of each file; returns the sink for its content. */
  open(name: string, size: number): { write(chunk: Buffer): Promise<void> | void; close(): Promise<void> | void };
}

/**
 * Reads a tar stream (already decompressed) and hands every regular file to `handler`. Refuses
 * anything but regular files, bad checksums, names that are absolute, contain `..`, backslashes or
 * control characters, and files larger than `maxFileBytes`.
 */
export async function readTar(input: Readable, handler: TarEntryHandler, options: { maxFileBytes: number }): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let current: { name: string; remaining: number; padding: number; sink: ReturnType<TarEntryHandler['open']> } | undefined;
  let ended = false;
  for await (const raw of input) {
    pending = pending.length === 0 ? (raw as Buffer) : Buffer.concat([pending, raw as Buffer]);
    for (;;) {
      if (ended) {
        if (pending.some((b) => b !== 0)) throw new TarError('data after the end of the archive');
        pending = Buffer.alloc(0);
        break;
      }
      if (current) {
        if (current.remaining > 0) {
          if (pending.length === 0) break;
          const take = Math.min(current.remaining, pending.length);
          await current.sink.write(pending.subarray(0, take));
          pending = pending.subarray(take);
          current.remaining -= take;
          continue;
        }
        if (pending.length < current.padding) break;
        pending = pending.subarray(current.padding);
        await current.sink.close();
        current = undefined;
        continue;
      }
      if (pending.length < BLOCK) break;
      const header = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (header.every((b) => b === 0)) {
        ended = true;
        continue;
      }
      const entry = parseHeader(header, options.maxFileBytes);
      current = { name: entry.name, remaining: entry.size, padding: tarPadding(entry.size).length, sink: handler.open(entry.name, entry.size) };
    }
  }
  if (current) throw new TarError(`archive ends inside ${current.name}`);
  if (!ended) throw new TarError('archive has no end marker (truncated?)');
}

function parseHeader(header: Buffer, maxFileBytes: number): { name: string; size: number } {
  const stored = parseOctal(header.subarray(148, 156), 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  if (sum !== stored) throw new TarError('tar header checksum mismatch');
  const type = String.fromCharCode(header[156] as number);
  const name = cString(header.subarray(0, 100));
  const prefix = header.subarray(257, 263).toString('ascii') === 'ustar\0' ? cString(header.subarray(345, 500)) : '';
  const full = prefix ? `${prefix}/${name}` : name;
  if (type !== '0' && type !== '\0') throw new TarError(`${full}: only regular files are allowed in a bundle (type ${JSON.stringify(type)})`);
  if (!isSafeName(full)) throw new TarError(`unsafe file name in archive: ${JSON.stringify(full)}`);
  const size = parseOctal(header.subarray(124, 136), 'size');
  if (size > maxFileBytes) throw new TarError(`${full} is ${size} bytes, more than the ${maxFileBytes} allowed`);
  return { name: full, size };
}

/** Relative, forward slashes, no `.`/`..` segments, printable ASCII letters, digits and `._-`. */
export function isSafeName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(name) && !name.split('/').some((s) => s === '.' || s === '..');
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function parseOctal(field: Buffer, what: string): number {
  const text = field.toString('ascii').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarError(`tar header ${what} is not octal`);
  return parseInt(text, 8);
}
