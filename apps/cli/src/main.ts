import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliIo, UsageError } from './command';
import { COMMANDS } from './commands/registry';
import { usageErrorFromParser } from './usage-error';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: audit-ledger <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `audit-ledger <command> --help` for the options and an example, `audit-ledger --version` for the version.',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout(`audit-ledger ${VERSION} (node ${process.version})\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`audit-ledger: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${command.help.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    // node:util's parseArgs throws its own errors for an unknown flag or a missing value: those are usage
    // errors too, told in our words with the command's usage.
    const usage = error instanceof UsageError ? error : usageErrorFromParser(error);
    if (usage) {
      io.stderr(`audit-ledger ${command.name}: ${usage.message}\n\n${command.help.trimEnd()}\n`);
      return 2;
    }
    io.stderr(`audit-ledger ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** Entry point of the `audit-ledger` bin (bin/audit-ledger.js). */
export function main(): void {
  void runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  }).then((code) => {
    process.exitCode = code;
  });
}
