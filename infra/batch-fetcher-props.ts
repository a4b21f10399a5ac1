import { Duration, Token } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { consumerConfigProblems } from '../lib/config/env-config.ts';
import { describeRange, inRange, OPTION_RANGES } from '../lib/core/option-ranges.ts';
import { parseEnqueueEvent } from '../lib/enqueue/enqueue-event.ts';
import { JOB_ID_RULE } from '../lib/jobs/job-ref.ts';
import { scheduledEvent } from './schedules.ts';

/**
 * A time as EventBridge Scheduler puts it in place of `<aws.scheduler.scheduled-time>`, to check
 * the event a firing sends at synth (ISO 8601 to the second, in UTC:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
const SAMPLE_SCHEDULED_TIME = '2026-12-31T23:59:59Z';
/** What makes a schedule's name valid, in words (the checks are the enqueue event's own). */
const SCHEDULE_NAME_RULE = `a firing's job id, '<name>-${SAMPLE_SCHEDULED_TIME}', must be ${JOB_ID_RULE}, and the name (the event's \`schedule\`) at most 64 characters`;

/** How long results and jobs are kept unless `resultsExpiration` says otherwise. */
const DEFAULT_RETENTION = Duration.days(90);

/** One EventBridge Scheduler schedule that invokes the enqueue function. */
interface FetchSchedule {
  /** Construct id and schedule description. */
  readonly name: string;
  /** `rate(1 hour)`, `cron(0 6 * * ? *)` or `at(...)`. */
  readonly expression: string;
  /** IANA time zone for cron expressions. @default 'UTC' */
  readonly timeZone?: string;
  /** The enqueue event: `{ urls }`, `{ requests }`, `{ source: 's3://…' }` or `{ sitemap }`. */
  readonly input: Readonly<Record<string, unknown>>;
  /** @default true */
  readonly enabled?: boolean;
  /**
   * Compare each firing's job with the schedule's previous finished job: conditional requests,
   * a change class on every record, change counts and `_changes.jsonl`. Needs the results bucket.
   * @default true with a results bucket, false without
   */
  readonly compare?: boolean;
}

/** Props of {@link BatchFetcher}. Every prop is optional; the defaults are safe to deploy. */
interface BatchFetcherProps {
  /** Timeout of the fetch-batch function. @default Duration.minutes(5) */
  readonly fetchTimeout?: Duration;
  /** Memory of the fetch-batch function, MB (1,769 MB = 1 vCPU). @default 1769 */
  readonly fetchMemorySize?: number;
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** Batching window; required (≥ 1 s) when batchSize > 10. @default none */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations the event source may start (2–1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Reserved concurrency of the fetch-batch function; must be ≥ maxConcurrency. @default none */
  readonly reservedConcurrency?: number;
  /** Visibility timeout of the fetch queue; at least 6 × fetchTimeout. @default 6 × fetchTimeout */
  readonly visibilityTimeout?: Duration;
  /** Deliveries before a message moves to the DLQ (≥ 5). @default 5 */
  readonly maxReceiveCount?: number;
  /** Requests per second at most to any one host, across every environment (FETCH_PER_HOST_RATE). @default no limit */
  readonly perHostRate?: number;
  /** Requests in flight at most to any one host, per environment (FETCH_PER_HOST_CONCURRENCY). @default no limit beyond 6 connections per origin */
  readonly perHostConcurrency?: number;
  /** Limits by host pattern, e.g. `['example.com=2/4', '*.example.org=0.5']` (FETCH_HOST_RULES). @default [] */
  readonly hostRules?: readonly string[];
  /** Obey robots.txt (FETCH_ROBOTS_TXT). @default false */
  readonly robotsTxt?: boolean;
  /**
   * Environment of the fetch-batch function: FETCH_* and other README settings. Those both
   * functions read (`RESULTS_PREFIX`, `JOB_EVENT_BUS`, `FETCH_ALLOW_NETWORKS`) go to the enqueue
   * function too. @default {}
   */
  readonly fetchEnvironment?: Readonly<Record<string, string>>;
  /**
   * The bus job completion events go to (`JOB_EVENT_BUS`, set to its ARN for both functions, which
   * may put events on it). Or name it in `fetchEnvironment.JOB_EVENT_BUS`. @default the account's default bus
   */
  readonly jobEventBus?: IEventBus;
  /** Create an encrypted, private results bucket and write results there. @default false */
  readonly resultsBucket?: boolean;
  /**
   * The one retention of results and jobs, in whole days: the results bucket deletes objects this
   * long after they are written, and both functions get it as `JOB_RETENTION_DAYS`, how long the
   * jobs table keeps a job's items after the job started. @default Duration.days(90)
   */
  readonly resultsExpiration?: Duration;
  /** Buckets the enqueue function may read `s3://` URL lists from (GetObject; kms:Decrypt on their `encryptionKey`). @default [] */
  readonly sourceBuckets?: readonly IBucket[];
  /**
   * KMS keys of SSE-KMS source buckets the bucket objects do not carry (a bucket imported by name):
   * the enqueue function may decrypt with them. @default []
   */
  readonly sourceBucketKeys?: readonly IKey[];
  /** Schedules that enqueue URL lists. @default [] */
  readonly schedules?: readonly FetchSchedule[];
  /** Alarms notify this topic. @default no notification (alarms still show in CloudWatch) */
  readonly alarmTopic?: ITopic;
  /** Alarm when the oldest message is older than this. @default Duration.minutes(30) */
  readonly maxMessageAge?: Duration;
  /** Alarm when failed / fetched URLs exceed this ratio over 15 minutes. @default 0.5 */
  readonly errorRatioThreshold?: number;
  /** The error-ratio alarm ignores 15 minutes with fewer URLs fetched than this (2 failed of 2 is no rate). @default 20 */
  readonly errorRatioMinimumUrls?: number;
  /**
   * Alarm when more than this many URLs broke (OK in the earlier job, failing now) within an hour,
   * in jobs that compare. @default no alarm
   */
  readonly brokenUrlsThreshold?: number;
  /**
   * Alarm when a fetched HTTPS URL's certificate expires within this many days (the fewest days
   * left in any batch, metric `CertificateDaysLeft`). Turns on `FETCH_TLS_INFO`, so records carry
   * `tls` and say which host it is. @default no alarm
   */
  readonly certificateExpiryDays?: number;
  /** CloudWatch namespace of the EMF metrics. @default 'Batchfetch' */
  readonly metricsNamespace?: string;
  /** Log retention of both functions. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** Checks every prop at once and throws one error listing all problems (tokens are skipped). */
function validateProps(props: BatchFetcherProps): void {
  const problems: string[] = [];
  const fetchTimeout = props.fetchTimeout ?? Duration.minutes(5);
  const seconds = (duration: Duration | undefined) => (duration === undefined ? undefined : duration.toSeconds());
  const timeoutS = seconds(fetchTimeout)!;
  if (timeoutS < 10 || timeoutS > 900) problems.push(`fetchTimeout must be 10 s to 15 min, got ${timeoutS} s`);
  const visibilityS = seconds(props.visibilityTimeout);
  if (visibilityS !== undefined && visibilityS < 6 * timeoutS) {
    problems.push(`visibilityTimeout (${visibilityS} s) must be at least 6 × fetchTimeout (${6 * timeoutS} s)`);
  }
  if (visibilityS !== undefined && visibilityS > 43_200) problems.push(`visibilityTimeout must be at most 12 hours, got ${visibilityS} s`);
  if (6 * timeoutS > 43_200 && visibilityS === undefined) problems.push('6 × fetchTimeout exceeds the 12-hour visibility timeout limit');
  const batchSize = props.batchSize ?? 10;
  if (!inRange(batchSize, OPTION_RANGES.batchSize)) problems.push(`batchSize must be ${describeRange(OPTION_RANGES.batchSize)}, got ${batchSize}`);
  const windowS = seconds(props.maxBatchingWindow);
  if (batchSize > 10 && (windowS === undefined || windowS < 1)) problems.push('batchSize above 10 needs maxBatchingWindow of at least 1 second');
  const maxWindowS = OPTION_RANGES.batchingWindowMs.max / 1000;
  if (windowS !== undefined && windowS > maxWindowS) problems.push(`maxBatchingWindow must be at most ${maxWindowS} s, got ${windowS} s`);
  const maxConcurrency = props.maxConcurrency ?? 10;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) problems.push(`maxConcurrency must be 2–1000, got ${maxConcurrency}`);
  if (props.reservedConcurrency !== undefined && props.reservedConcurrency < maxConcurrency) {
    // Throttled invocations would burn receives and push messages to the DLQ (aws/aws-cdk#23811).
    problems.push(`reservedConcurrency (${props.reservedConcurrency}) must be at least maxConcurrency (${maxConcurrency})`);
  }
  const maxReceiveCount = props.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 5 || maxReceiveCount > 1000) problems.push(`maxReceiveCount must be 5–1000, got ${maxReceiveCount}`);
  const memory = props.fetchMemorySize ?? 1769;
  if (!Number.isInteger(memory) || memory < 128 || memory > 10_240) problems.push(`fetchMemorySize must be 128–10240 MB, got ${memory}`);
  const ratio = props.errorRatioThreshold ?? 0.5;
  if (!(ratio > 0 && ratio <= 1)) problems.push(`errorRatioThreshold must be in (0, 1], got ${ratio}`);
  const minimumUrls = props.errorRatioMinimumUrls ?? 20;
  if (!(Number.isInteger(minimumUrls) && minimumUrls >= 1)) problems.push(`errorRatioMinimumUrls must be an integer ≥ 1, got ${minimumUrls}`);
  const broken = props.brokenUrlsThreshold;
  if (broken !== undefined && !(Number.isInteger(broken) && broken >= 0)) problems.push(`brokenUrlsThreshold must be an integer ≥ 0, got ${broken}`);
  const expiry = props.certificateExpiryDays;
  if (expiry !== undefined && !(Number.isInteger(expiry) && expiry >= 1 && expiry <= 825)) {
    problems.push(`certificateExpiryDays must be an integer from 1 to 825 (the longest a public certificate was ever allowed), got ${expiry}`);
  }
  const names = new Set<string>();
  for (const schedule of props.schedules ?? []) {
    if (names.has(schedule.name)) problems.push(`schedule names must be unique, '${schedule.name}' repeats`);
    names.add(schedule.name);
    if (!/^(rate|cron|at)\(.+\)$/.test(schedule.expression)) problems.push(`schedule '${schedule.name}' needs rate(...), cron(...) or at(...), got '${schedule.expression}'`);
    if (schedule.compare === true && !props.resultsBucket) problems.push(`schedule '${schedule.name}' compares with its previous job, which needs resultsBucket: true`);
    const sources = ['urls', 'requests', 'source', 'sitemap'].filter((key) => key in schedule.input);
    if (sources.length !== 1) problems.push(`schedule '${schedule.name}' input needs exactly one of urls, requests, source or sitemap`);
    problems.push(...scheduleEventProblems(schedule, props.resultsBucket === true, sources.length === 1));
  }
  const retentionDays = (props.resultsExpiration ?? DEFAULT_RETENTION).toMilliseconds({ integral: false }) / 86_400_000;
  if (!(Number.isInteger(retentionDays) && retentionDays >= 1)) problems.push(`resultsExpiration must be whole days, at least 1, got ${props.resultsExpiration?.toHumanString()}`);
  const namedBus = props.fetchEnvironment?.JOB_EVENT_BUS;
  if (namedBus !== undefined && props.jobEventBus) problems.push('give the job event bus once: jobEventBus or fetchEnvironment.JOB_EVENT_BUS, not both');
  if (namedBus !== undefined && Token.isUnresolved(namedBus)) {
    problems.push('fetchEnvironment.JOB_EVENT_BUS is a token (a name or an ARN, unknown at synth): pass the bus as jobEventBus instead');
  }
  // The function's own configuration schema (these props become its variables), so a bad value
  // fails `cdk synth`, not a cold start.
  // Files named by variables (FETCH_CA_FILE) exist in the function's environment, not here.
  const resolvedEnvironment = Object.fromEntries(Object.entries({ ...politenessEnvironment(props), ...props.fetchEnvironment })
    .filter(([, value]) => !Token.isUnresolved(value)));
  problems.push(...consumerConfigProblems(resolvedEnvironment, { readFiles: false }).map((problem) => `fetchEnvironment: ${problem}`));
  if (problems.length > 0) throw new Error(`Invalid BatchFetcher props:\n- ${problems.join('\n- ')}`);
}

/**
 * What would make every firing of a schedule fail in the enqueue function (an invalid event ends
 * in the failure queue), checked by the function's own event schema on the event a firing sends:
 * a name that makes no job id, an input the function refuses, or a fixed `jobId` on a recurring
 * schedule (every firing after the first would find that job and enqueue nothing).
 */
function scheduleEventProblems(schedule: FetchSchedule, canCompare: boolean, oneSource: boolean): string[] {
  const named = parseEnqueueEvent({ urls: [], jobId: `${schedule.name}-${SAMPLE_SCHEDULED_TIME}`, schedule: schedule.name });
  if (!named.ok) return [`schedule '${schedule.name}' has a name no job id can carry: ${SCHEDULE_NAME_RULE}`];
  const problems: string[] = [];
  if ('jobId' in schedule.input && !schedule.expression.startsWith('at(')) {
    problems.push(`schedule '${schedule.name}' input sets its own jobId: every firing after the first would be that job again and enqueue nothing (leave it out: each firing's job is '<name>-<scheduled time>')`);
  }
  // An input holding tokens (a bucket's name) is only known at deploy time.
  if (oneSource && !Token.isUnresolved(JSON.stringify(schedule.input))) {
    const event = parseEnqueueEvent(scheduledEvent(schedule, canCompare, SAMPLE_SCHEDULED_TIME));
    if (!event.ok) problems.push(`schedule '${schedule.name}' input: ${event.error}`);
  }
  return problems;
}

/** The politeness props as the fetch function's environment variables (fetchEnvironment wins). */
function politenessEnvironment(props: BatchFetcherProps): Record<string, string> {
  return {
    ...(props.perHostRate === undefined ? {} : { FETCH_PER_HOST_RATE: String(props.perHostRate) }),
    ...(props.perHostConcurrency === undefined ? {} : { FETCH_PER_HOST_CONCURRENCY: String(props.perHostConcurrency) }),
    ...(props.hostRules && props.hostRules.length > 0 ? { FETCH_HOST_RULES: props.hostRules.join(',') } : {}),
    ...(props.robotsTxt ? { FETCH_ROBOTS_TXT: 'true' } : {}),
  };
}

export { DEFAULT_RETENTION, politenessEnvironment, validateProps };
export type { BatchFetcherProps, FetchSchedule };
