import { writeFileSync } from 'node:fs';
import type { RunSummary } from '../lib/index.ts';
import type { HostGateStats } from '../lib/politeness/host-gate.ts';
import { formatSummary, processFigures } from './local/summary.ts';
import { integerFlag, UsageError } from './usage-error.ts';
import { OPTION_RANGES } from '../lib/core/option-ranges.ts';
import { urls } from './plural.ts';

/** How `run` and `worker` end and report (parseArgs specs). */
const REPORT_FLAGS = {
  quiet: { type: 'boolean' },
  'summary-json': { type: 'string' },
  deadline: { type: 'string' },
  'fail-on-error': { type: 'string' },
} as const;

const REPORT_FLAGS_USAGE = `  --deadline MS          stop after MS (run: unfinished URLs end ABORTED; worker: stop
                         receiving, finish the batch in hand)
  --summary-json FILE    also write the summary as JSON
  --fail-on-error[=P]    exit 4 when more than P % of the URLs failed (default 0: any failure)
  --quiet                no progress line and no summary`;

/** Exit status when more URLs failed than --fail-on-error allows. */
const FAILED_TOO_MUCH = 4;

/** parseArgs has no optional values: a bare `--fail-on-error` means a threshold of 0 %. */
function withFailOnErrorDefault(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (arg !== '--fail-on-error') return arg;
    // `--fail-on-error 70` would make 70 a FILE: the percentage is given after '='.
    const next = args[i + 1];
    if (next !== undefined && /^\d+(\.\d+)?$/.test(next)) {
      throw new UsageError(`--fail-on-error takes its percentage after '=': --fail-on-error=${next} (bare --fail-on-error: any failure), got '--fail-on-error ${next}'`);
    }
    return '--fail-on-error=0';
  });
}

interface ReportOptions {
  readonly quiet: boolean;
  readonly summaryJson: string | undefined;
  readonly deadlineMs: number | undefined;
  /** Percent of failed URLs tolerated; undefined: failures never change the exit status. */
  readonly failOnError: number | undefined;
}

function reportOptionsFrom(values: { quiet?: boolean; 'summary-json'?: string; deadline?: string; 'fail-on-error'?: string }): ReportOptions {
  const threshold = values['fail-on-error'];
  if (threshold !== undefined && !(/^\d+(\.\d+)?$/.test(threshold) && Number(threshold) <= 100)) {
    throw new UsageError(`--fail-on-error expects a percentage from 0 to 100, got '${threshold}'`);
  }
  return {
    quiet: values.quiet ?? false,
    summaryJson: values['summary-json'],
    deadlineMs: integerFlag('deadline', values.deadline, OPTION_RANGES.runDeadlineMs),
    failOnError: threshold === undefined ? undefined : Number(threshold),
  };
}

/**
 * Prints the summary (unless quiet), writes --summary-json, and returns the exit status: 4 when
 * the failed share passes --fail-on-error, else `status`.
 */
function finishReport(options: ReportOptions, summary: RunSummary, hosts: HostGateStats, extra: Record<string, unknown>, status: number): number {
  const figures = processFigures();
  if (!options.quiet) process.stderr.write(formatSummary(summary, figures, hosts));
  if (options.summaryJson) writeFileSync(options.summaryJson, `${JSON.stringify({ ...extra, ...summary, ...figures, hosts }, null, 2)}\n`);
  if (status === 0 && options.failOnError !== undefined && summary.urls > 0 && (summary.failed / summary.urls) * 100 > options.failOnError) {
    if (!options.quiet) process.stderr.write(`batchfetch: ${summary.failed} of ${urls(summary.urls)} failed, more than --fail-on-error=${options.failOnError} % allows\n`);
    return FAILED_TOO_MUCH;
  }
  return status;
}

export { FAILED_TOO_MUCH, finishReport, REPORT_FLAGS, REPORT_FLAGS_USAGE, reportOptionsFrom, withFailOnErrorDefault };
export type { ReportOptions };
