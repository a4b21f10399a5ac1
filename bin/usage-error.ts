import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeRange, inRange, type IntegerRange } from '../lib/core/option-ranges.ts';
import { isJobId, JOB_ID_RULE, newJobId } from '../lib/jobs/job-ref.ts';
import { BatchfetchError } from '../lib/core/errors.ts';

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

/** `parseArgs`, strict, with its errors turned into usage errors (exit code 2). */
function parseCommandArgs<T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs({ strict: true, ...config });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export { integerFlag, jobIdFlag, parseCommandArgs, UsageError };
