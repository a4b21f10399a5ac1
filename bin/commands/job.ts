import type { S3Client } from '@aws-sdk/client-s3';
import { jobChangeLines } from '../../lib/jobs/job-changes.ts';
import { jobRecordLines, jobResultsAt, type JobResultsLocation } from '../../lib/jobs/job-results.ts';
import { SqsSender } from '../../lib/queue/sqs-sender.ts';
import type { ParsedLine } from '../../lib/input/parse-request-line.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { enqueueJob } from '../../lib/enqueue/enqueue-job.ts';
import { isJobId, JOB_ID_RULE, jobResultsLocation, jobResultsPrefix, newJobId } from '../../lib/jobs/job-ref.ts';
import { OPTION_RANGES } from '../../lib/core/option-ranges.ts';
import { DEFAULT_MESSAGE_URLS } from '../../lib/schemas/queue-message.ts';
import type { JobStore } from '../../lib/jobs/job-store.ts';
import type { JobHeader, JobSummary } from '../../lib/jobs/job-summary.ts';
import { ErrorCode } from '../../lib/core/errors.ts';
import type { FetchResult } from '../../lib/engine/fetch-types.ts';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, jobStoreFrom, s3ClientFrom, sqsClientFrom, type ConnectionValues } from '../aws-clients.ts';
import { jobProgressLine, jobStatusText } from '../job-progress.ts';
import { integerFlag, parseCommandArgs, UsageError } from '../usage-error.ts';

const JOB_USAGE = `batchfetch jobs [--json]
batchfetch job status ID [--json]
batchfetch job wait ID [--timeout S]
batchfetch job results ID
batchfetch job changes ID
batchfetch job redrive ID --queue-url URL [--codes A,B]
  Jobs started by \`enqueue\` (CLI or function) or a schedule, as recorded in the jobs table.
  jobs             lists jobs, newest first, from their headers (--json: jobId, status,
                   total, createdAt, ...; no counts: job status has them)
  job status       counts, rate and ETA (--json: one object: jobId, status, total, done, counts, ...)
  job wait         shows progress until the job ends; exit 0 when completed, 1 when failed,
                   3 when --timeout S passed first
  job results      prints the job's records (JSON lines) from its results bucket; exit 1
                   when it has none there (no bucket, or workers that wrote to --out)
  job changes      prints the change report of a job that compared (enqueue --since-job, a
                   schedule): records that are new, changed, broke or recovered, and the
                   earlier job's URLs now missing (JSON lines; as far as the job has got)
  job redrive      enqueues the job's failed URLs (or only those with --codes) as a new job
                   linked to it, and prints the new job's id
${CONNECTION_FLAGS_USAGE}
`;

async function jobsCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({ args, options: { ...CONNECTION_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(JOB_USAGE);
    return 0;
  }
  return withStore(values, async (store) => {
    const jobs = await store.list();
    if (values.json) {
      for (const job of jobs) process.stdout.write(`${JSON.stringify(listed(job))}\n`);
    } else if (jobs.length === 0) {
      process.stdout.write('no jobs\n');
    } else {
      for (const job of jobs) process.stdout.write(`${job.jobId}  ${job.status.padEnd(9)}  ${String(job.total).padStart(9)} URLs  created ${job.createdAt}\n`);
    }
    return 0;
  });
}

/**
 * A job as `jobs --json` lists it: its header's fields, each as `job status --json` names it (the
 * header's comparison facts are part of the status's `changes`, with the counts it lacks).
 */
function listed(header: JobHeader): Omit<JobHeader, 'compared'> {
  const { compared, ...fields } = header;
  void compared;
  return fields;
}

/** The flags `job` accepts (parseArgs option specs); the docs test checks each is documented. */
const JOB_FLAGS = {
  ...CONNECTION_FLAGS,
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  codes: { type: 'string' },
  'queue-url': { type: 'string' },
  'message-urls': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function jobCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommandArgs({
    args: rest,
    allowPositionals: true,
    options: JOB_FLAGS,
  });
  if (values.help || action === undefined || action === 'help' || action === '--help' || action === '-h') {
    process.stdout.write(JOB_USAGE);
    return 0;
  }
  if (!['status', 'wait', 'results', 'changes', 'redrive'].includes(action)) {
    throw new UsageError(`unknown job action '${action}' (status, wait, results, changes, redrive)`);
  }
  if (positionals.length !== 1) throw new UsageError(`job ${action} expects one job ID`);
  const jobId = positionals[0]!;
  if (!isJobId(jobId)) throw new UsageError(`'${jobId}' is not a job id (${JOB_ID_RULE})`);
  const timeoutS = integerFlag('timeout', values.timeout, OPTION_RANGES.jobWaitS);
  return withStore(values, async (store) => {
    const job = await store.summary(jobId);
    if (!job) throw new UsageError(`no job '${jobId}' in the jobs table`);
    switch (action) {
      case 'status':
        process.stdout.write(values.json ? `${JSON.stringify(job)}\n` : jobStatusText(job, process.stdout.isTTY === true));
        return 0;
      case 'wait':
        return waitFor(store, job, timeoutS);
      case 'results':
        return withS3(values, async (s3) => {
          let printed = 0;
          for await (const line of jobRecordLines(s3, resultsOf(job))) {
            process.stdout.write(`${line}\n`);
            printed += 1;
          }
          // Counted records that are not in the bucket went elsewhere: nothing printed is no answer.
          if (printed === 0 && job.done > 0) {
            throw new Error(`job ${job.jobId} counted ${job.done} ${job.done === 1 ? 'record' : 'records'}, but ${job.results} holds none: its workers wrote them elsewhere (worker --out, or no --results-bucket)`);
          }
          return 0;
        });
      case 'changes':
        if (!job.changes) throw new UsageError(`job ${job.jobId} did not compare with an earlier job (enqueue --since-job, or a schedule)`);
        return withS3(values, async (s3) => {
          for await (const line of jobChangeLines(s3, resultsOf(job))) process.stdout.write(`${line}\n`);
          return 0;
        });
      default:
        return redrive(values, store, job);
    }
  });
}

/** Polls once a second, redrawing one progress line on a terminal (a line per change otherwise). */
async function waitFor(store: JobStore, first: JobSummary, timeoutS: number | undefined): Promise<number> {
  const tty = process.stderr.isTTY === true;
  const until = timeoutS === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutS * 1000;
  let job = first;
  let last = '';
  for (;;) {
    const line = jobProgressLine(job, tty);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    // Ended and its end written (summary, manifest, change report; announced): what a caller waits for.
    const ended = job.status === 'completed' || job.status === 'failed';
    if (ended && job.announcedAt !== undefined) break;
    if (Date.now() >= until) {
      if (tty) process.stderr.write('\n');
      process.stderr.write(ended
        ? `batchfetch: job ${job.jobId} ${job.status}, but its end (summary, manifest, event) is not written after ${timeoutS} s: see the fetch queue and its DLQ\n`
        : `batchfetch: job ${job.jobId} still ${job.status} after ${timeoutS} s\n`);
      return 3;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    job = (await store.summary(job.jobId)) ?? job;
  }
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify(job)}\n`);
  return job.status === 'completed' ? 0 : 1;
}

/** Where a job's records are in S3; an error (exit 1) when it has no results bucket. */
function resultsOf(job: JobSummary): JobResultsLocation {
  const at = jobResultsAt(job);
  if (!at) throw new Error(`job ${job.jobId} has no results bucket: its records went to the consumers' logs or --out files`);
  return at;
}

/** Enqueues the failed URLs of a job as a new job that names it as its parent. */
async function redrive(values: ConnectionValues & { 'queue-url'?: string; codes?: string; 'message-urls'?: string }, store: JobStore, job: JobSummary): Promise<number> {
  if (!values['queue-url']) throw new UsageError('job redrive needs --queue-url');
  const codes = values.codes?.split(',').map((code) => code.trim()).filter((code) => code !== '');
  const unknown = codes?.filter((code) => !(code in ErrorCode));
  if (unknown && unknown.length > 0) throw new UsageError(`--codes: unknown error code ${unknown.join(', ')}`);
  const maxUrls = integerFlag('message-urls', values['message-urls'], OPTION_RANGES.messageUrls) ?? DEFAULT_MESSAGE_URLS;
  const { bucket, jobPrefix } = resultsOf(job);
  const prefix = jobPrefix.slice(0, -jobResultsPrefix('', job.jobId).length);
  const sqs = sqsClientFrom(values);
  try {
    return await withS3(values, async (s3) => {
      async function* failed(): AsyncGenerator<ParsedLine> {
        for await (const line of jobRecordLines(s3, resultsOf(job))) {
          const record = JSON.parse(line) as FetchResult;
          if (record.ok || (codes && !codes.includes(record.error?.code ?? ''))) continue;
          yield { kind: 'request', request: record.id === undefined ? { url: record.url } : { url: record.url, id: record.id } };
        }
      }
      const jobId = newJobId();
      // The new job's records go where the consumers put any job's: next to its parent's.
      const summary = await enqueueJob(failed(), new SqsSender({ queue: sqsQueueApi(sqs), queueUrl: values['queue-url']! }), { maxUrls }, store, {
        jobId, parentJobId: job.jobId, results: jobResultsLocation(bucket, prefix, jobId),
      });
      process.stdout.write(`${JSON.stringify({ jobId: summary.jobId, parentJobId: job.jobId, urls: summary.urls })}\n`);
      return 0;
    });
  } finally {
    sqs.destroy();
  }
}

async function withStore<T>(values: ConnectionValues, use: (store: JobStore) => Promise<T>): Promise<T> {
  const jobs = jobStoreFrom(values);
  if (!jobs) throw new UsageError('the job commands need --jobs-table (or --dynamodb-endpoint for local-sqs)');
  try {
    return await use(jobs.store);
  } finally {
    jobs.client.destroy();
  }
}

async function withS3<T>(values: ConnectionValues, use: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = s3ClientFrom(values);
  try {
    return await use(s3);
  } finally {
    s3.destroy();
  }
}

export { JOB_FLAGS, JOB_USAGE, jobCommand, jobsCommand };
