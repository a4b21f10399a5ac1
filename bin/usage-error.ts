import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeRange, inRange, type IntegerRange } from '../lib/core/option-ranges.ts';
import { isJobId, JOB_ID_RULE, newJobId } from '../lib/jobs/job-ref.ts';
import { BatchfetchError } from '../lib/core/errors.ts';
import { closestName } from '../lib/core/closest-name.ts';

/** A command-line mistake: printed with the usage hint, exit code 2. */
/** A command line that cannot run as given; the CLI prints its message and exits 2. */
class UsageError extends BatchfetchError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Parses a flag value as an integer within `range`, naming the flag in the error. */
function integerFlag(flag: string, value: string | undefined, range: IntegerRange): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !inRange(Number(value), range)) {
    throw new UsageError(`--${flag} expects ${describeRange(range)}, got '${value}'`);
  }
  return Number(value);
}

/** `--job-id`: the id given, checked, or a new one. */
function jobIdFlag(value: string | undefined): string {
  if (value === undefined) return newJobId();
  if (!isJobId(value)) throw new UsageError(`--job-id expects ${JOB_ID_RULE}, got '${value}'`);
  return value;
}

/**
 * `parseArgs`, strict, with its errors turned into usage errors (exit code 2). An unknown option
 * is named with the closest of the command's own (`unknown option '--concurency' (did you mean
 * --concurrency?)`) instead of parseArgs' text.
 */
function parseCommandArgs<T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs({ strict: true, ...config });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw unknownOption((error as Error).message, Object.keys(config.options ?? {}));
    throw new UsageError((error as Error).message);
  }
}

/** The usage error for an unknown option, from parseArgs' message (`Unknown option '--x'. …`). */
function unknownOption(message: string, known: readonly string[]): UsageError {
  const option = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (option === undefined) return new UsageError(message);
  const closest = option.startsWith('--') ? closestName(option.slice(2).split('=')[0]!, known) : undefined;
  return new UsageError(`unknown option '${option}'${closest === undefined ? '' : ` (did you mean --${closest}?)`}`);
}

export { integerFlag, jobIdFlag, parseCommandArgs, UsageError };
