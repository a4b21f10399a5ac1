import { createFetchEngine } from '../../lib/engine/fetch-engine.ts';
import { RunStats } from '../../lib/stats/run-stats.ts';
import { runLocalPipeline, type LocalQueueKind } from '../local/local-pipeline.ts';
import { countingSink } from '../../lib/sinks/counting-sink.ts';
import { JsonLinesSink } from '../../lib/sinks/result-sink.ts';
import { ProgressLine } from '../local/progress.ts';
import { CliLogger } from '../cli-logger.ts';
import { ResumeState } from '../local/resume.ts';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { finishReport, REPORT_FLAGS, REPORT_FLAGS_USAGE, reportOptionsFrom, withFailOnErrorDefault } from '../report-flags.ts';
import { engineOptionsFrom, FETCH_FLAGS, FETCH_FLAGS_USAGE } from '../fetch-flags.ts';
import { closeOutput, exitAfterWriteFailure, openInput, openOutput, outputName, prepareBodiesDir, stoppingOnWriteFailure, withBodiesDir } from '../cli-streams.ts';
import { integerFlag, jobIdFlag, parseCommandArgs, UsageError } from '../usage-error.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { INTERRUPTED, onInterrupt } from '../interrupts.ts';
import type { Writable } from 'node:stream';
import { EarlierRun } from '../local/earlier-run.ts';
import { missingLine, reportingChanges } from '../../lib/sinks/change-report.ts';

const RUN_USAGE = `batchfetch run FILE [options]
  FILE holds one URL per line, or JSON lines {"url", "method", "headers", "body", "id"};
  blank lines and lines starting with # are skipped; - reads stdin.
  Writes one JSON result per URL: {"url","ok","status","attempts","latencyMs","bytes","error"}.

${FETCH_FLAGS_USAGE}
  --out FILE             where results go (default - = stdout)
  --message-urls N       URLs per queue message (default 500)
  --pollers N            concurrent queue consumers (default 2)
  --queue memory|sqs     the embedded queue: in this process (default), or an SQS-protocol server
                         (fauxqs) on 127.0.0.1 reached with the AWS SDK, as a deployment's calls
  --resume FILE          continue an interrupted run: input lines whose record FILE already
                         holds are skipped; ABORTED records (a stop's) are removed from FILE
                         and their lines fetched again; new records are appended to FILE
                         (instead of --out)
  --since FILE           compare with an earlier run's records (its --out): requests carry its
                         validators (If-None-Match, If-Modified-Since), each record gets a change
                         class (new, unchanged, changed, broke, recovered, still-failing), and the
                         summary counts them, with the earlier URLs this run lacks (missing)
  --changes FILE         with --since: also write the new, changed, broken, recovered and
                         missing URLs to FILE (JSON lines)
  --job-id ID            the run's job id in --summary-json, which also carries a job summary's
                         fields (jobId, status, total, done, counts) (default: generated)
${REPORT_FLAGS_USAGE}
`;

/** The flags `run` accepts (parseArgs option specs); the docs test checks each is documented. */
const RUN_FLAGS = {
  ...FETCH_FLAGS,
  ...REPORT_FLAGS,
  out: { type: 'string' },
  'message-urls': { type: 'string' },
  pollers: { type: 'string' },
  queue: { type: 'string' },
  'job-id': { type: 'string' },
  resume: { type: 'string' },
  since: { type: 'string' },
  changes: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseRunArgs(args: string[]) {
  const parsed = parseCommandArgs({ args: withFailOnErrorDefault(args), options: RUN_FLAGS, allowPositionals: true });
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  if (positionals.length !== 1) throw new UsageError('run expects exactly one FILE (use - for stdin)');
  return {
    help: false as const,
    input: positionals[0]!,
    out: resumeOut(values.resume, values.out),
    resume: values.resume,
    since: values.since,
    changes: changesFlag(values.since, values.changes),
    ignoreInBody: ignoreInBodyFlag(values),
    bodiesDir: values['bodies-dir'],
    report: reportOptionsFrom(values),
    jobId: jobIdFlag(values['job-id']),
    messageUrls: integerFlag('message-urls', values['message-urls'], OPTION_RANGES.messageUrls) ?? 500,
    pollers: integerFlag('pollers', values.pollers, OPTION_RANGES.pollers) ?? 2,
    queue: queueFlag(values.queue),
    engine: engineOptionsFrom(values),
  };
}

function changesFlag(since: string | undefined, changes: string | undefined): string | undefined {
  if (changes !== undefined && since === undefined) throw new UsageError('--changes FILE reports the changes since an earlier run: give --since FILE too');
  return changes;
}

/** --ignore-in-body acts on hashed bodies only: alone it would do nothing, and say nothing. */
function ignoreInBodyFlag(values: { 'ignore-in-body'?: string[]; body?: string; 'bodies-dir'?: string; since?: string }): void {
  if (values['ignore-in-body'] === undefined || values.since !== undefined || values['bodies-dir'] !== undefined) return;
  if (values.body === 'hash' || values.body === 'keep') return;
  throw new UsageError('--ignore-in-body removes matches from hashed bodies: give --body hash (or keep), or --since FILE (a run that compares hashes every body)');
}

function queueFlag(value: string | undefined): LocalQueueKind {
  if (value === undefined || value === 'memory' || value === 'sqs') return value ?? 'memory';
  throw new UsageError(`--queue expects memory or sqs, got '${value}'`);
}

/** With --resume, the output is the resumed file (appended to); --out may only repeat it. */
function resumeOut(resume: string | undefined, out: string | undefined): string {
  if (resume === undefined) return out ?? '-';
  if (resume === '-') throw new UsageError('--resume needs a FILE (the output of the run to continue), not -');
  if (out !== undefined && out !== resume) throw new UsageError('--resume FILE writes to FILE: leave out --out, or give the same file');
  return resume;
}


/** `batchfetch run FILE`: the local run, through an embedded queue. */
async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  if (options.help) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const run = new AbortController();
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    run.abort(new Error('interrupted'));
  };
  // Input and output first: a bad FILE is a usage error that must end the process at once, not
  // after a --deadline timer or an engine already created keeps it alive.
  const input = await openInput(options.input);
  // Read before the output is opened for appending: which lines already have their record.
  const resume = options.resume === undefined ? undefined : await ResumeState.load(options.resume);
  const output = await openOutput(options.out, resume !== undefined);
  const earlier = options.since === undefined ? undefined : await EarlierRun.load(options.since);
  if (earlier && earlier.records === 0 && earlier.lines > 0) process.stderr.write(`batchfetch: ${options.since} has no records: every URL will be \`new\`\n`);
  const changesOut = options.changes === undefined ? undefined : await openOutput(options.changes);
  const reportChange = changesOut && lineWriter(changesOut);
  prepareBodiesDir(options.bodiesDir);
  const engine = createFetchEngine({ ...options.engine, signal: run.signal });
  const { report } = options;
  const deadline = report.deadlineMs === undefined ? undefined : setTimeout(() => run.abort(new Error('deadline reached')), report.deadlineMs);
  const stopListening = onInterrupt(interrupt);

  const stats = new RunStats();
  const lines = new JsonLinesSink(output, outputName(options.out));
  // The consumer's WARN lines; silenced once the output has failed (every record in flight would
  // report the same failure).
  const logger = new CliLogger('batchfetch-local');
  const counted = countingSink(lines, stats);
  const sink = stoppingOnWriteFailure(withBodiesDir(reportChange ? reportingChanges(counted, reportChange) : counted, options.bodiesDir), (error) => {
    logger.silenced = true;
    run.abort(error);
  });
  const progress = new ProgressLine(stats, !report.quiet && Boolean(process.stderr.isTTY));
  try {
    await runLocalPipeline({
      input,
      engine,
      sink,
      logger,
      signal: run.signal,
      messageUrls: options.messageUrls,
      pollers: options.pollers,
      queue: options.queue,
      onProgress: (p) => progress.update(p),
      ...(resume || earlier ? { filter: (line: ParsedLine) => prepareLine(line, resume, earlier) } : {}),
      ...(earlier ? { earlier } : {}),
    });
  } catch (error) {
    if (!lines.failure) throw error;
  } finally {
    clearTimeout(deadline);
    progress.stop();
    stopListening();
    await engine.close();
    // A failed output is not flushed: its 'drain' or 'finish' never comes (process.stdout cannot
    // even be destroyed, so it does not say it failed).
    if (!lines.failure) await closeOutput(output);
  }
  let missing = 0;
  if (earlier && !interrupted && !lines.failure) {
    for (const entry of earlier.missing()) {
      missing += 1;
      await reportChange?.(missingLine(entry));
    }
  }
  if (changesOut) await closeOutput(changesOut);

  if (lines.failure) return exitAfterWriteFailure(lines.failure);
  const { opened, reused } = engine.socketStats;
  const countedSummary = { ...stats.summary(), connectionsOpened: opened, connectionsReused: reused };
  // Missing URLs have no record of this run: counted here, once the input is read.
  const summary = earlier ? { ...countedSummary, changes: { ...countedSummary.changes, ...(missing > 0 ? { missing } : {}) } } : countedSummary;
  // The local run is a job of its own (its queue lives as long as the run, so no jobs table):
  // its summary carries a job summary's fields, so scripts read runs and deployed jobs alike.
  const byCode = Object.fromEntries(Object.entries(summary.outcomes).filter(([code]) => code !== 'OK'));
  const job = {
    jobId: options.jobId, status: interrupted ? 'failed' : 'completed', total: summary.urls, done: summary.urls,
    counts: { ok: summary.ok, failed: summary.failed, byCode },
  };
  if (resume && !report.quiet) process.stderr.write(`batchfetch: resumed ${options.resume}: ${resumeNote(resume)}\n`);
  return finishReport(report, summary, engine.hostStats, resume ? { ...job, resumedLines: resume.skipped } : job, interrupted ? INTERRUPTED : 0);
}

/** What resume found: lines with their record, and ABORTED records removed to be fetched again. */
function resumeNote(resume: ResumeState): string {
  const aborted = resume.aborted > 0 ? `; ${resume.aborted} ABORTED ${resume.aborted === 1 ? 'record' : 'records'} removed and fetched again` : '';
  return `${resume.skipped} ${resume.skipped === 1 ? 'line' : 'lines'} already had their record${aborted}`;
}

/** An input line as the run sends it: skipped when --resume holds its record, with its earlier record under --since. */
function prepareLine(line: ParsedLine, resume: ResumeState | undefined, earlier: EarlierRun | undefined): ParsedLine {
  // Met first, so a line --resume skips still counts as met (not missing).
  const attached = earlier ? earlier.meet(line) : line;
  return resume ? resume.filter(attached) : attached;
}

/** Writes lines to `stream`, each resolved once the stream took it (backpressure for the change report). */
function lineWriter(stream: Writable): (line: string) => Promise<void> {
  return (line) => new Promise((resolve) => {
    if (stream.write(`${line}\n`)) resolve();
    else stream.once('drain', resolve);
  });
}

export { RUN_FLAGS, RUN_USAGE, runCommand };
