import { UsageError } from './command';

/**
 * The usage error behind one of node:util parseArgs' errors (strict mode), or undefined for any other
 * error. Node's messages are written for programmers ("To specify a positional argument starting with a
 * '-', place it at the end of the command after '--'…"); the user needs the flag and what is wrong.
 */
export function usageErrorFromParser(error: unknown): UsageError | undefined {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code !== 'string' || !e.code.startsWith('ERR_PARSE_ARGS_') || typeof e.message !== 'string') return undefined;
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  const option = quoted?.split(' ')[0];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${option ?? '(unnamed)'}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(/does not take an argument/.test(e.message) ? `${option} takes no value` : `${option} needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${JSON.stringify(quoted ?? '')}`);
    default:
      return new UsageError(e.message.split('. ')[0] ?? e.message);
  }
}
