import { EnvReader, type Env } from './env-reader.ts';
import { ConfigurationError } from '../core/errors.ts';
import { connectionBudgetFor } from '../net/descriptor-limit.ts';
import { BODY_MODES, type FetchEngineOptions } from '../engine/options.ts';
import { OPTION_RANGES, PER_HOST_RATE } from '../core/option-ranges.ts';
import { DEFAULT_MESSAGE_URLS } from '../schemas/queue-message.ts';
import { DEFAULT_JOB_RETENTION_DAYS } from '../jobs/job-store.ts';
import { DEFAULT_RESULTS_PREFIX } from '../jobs/job-ref.ts';
import { AcceptedTypes } from '../engine/accepted-types.ts';
import { StatusSet } from '../engine/status-set.ts';
import { isHeaderName } from '../engine/request-headers.ts';
import { parseMethod } from '../engine/request-target.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';

/** Settings of the fetch-batch consumer, read from documented environment variables. */
interface ConsumerConfig {
  readonly engine: FetchEngineOptions;
  /** Time kept back from the invocation's remaining time for writing results and continuations, ms. */
  readonly deadlineMarginMs: number;
  readonly maxAttemptsPerUrl: number | undefined;
  /** Where URLs cut off by the deadline continue; absent: they end ABORTED. */
  readonly continuation?: ContinuationConfig;
  /** Where records go; absent: structured log lines. */
  readonly results?: ResultsConfig;
  /** Job accounting and fleet-wide politeness state; absent: messages of a job are fetched without accounting. */
  readonly jobs?: JobsConfig;
}

interface ContinuationConfig {
  readonly queueUrl: string;
  readonly maxHops: number;
}

interface ResultsConfig {
  readonly bucket: string;
  readonly prefix: string;
  /** Also store response bodies in the bucket, content-addressed by sha256. */
  readonly storeBodies: boolean;
}

interface JobsConfig {
  /** The state table (jobs, and the fleet's politeness state). */
  readonly table: string;
  /** Event bus of job completion events; unset: the default bus. */
  readonly eventBusName: string | undefined;
  /** Days a job's items are kept from its start (`JOB_RETENTION_DAYS`). */
  readonly retentionDays?: number;
}

/** FETCH_METHOD: the engine's own rule for a method. */
function methodOf(text: string): Outcome<string, string> {
  const method = parseMethod(text);
  return method.ok ? method : failure('an HTTP method such as GET or HEAD');
}

/** FETCH_KEEP_HEADERS: comma-separated header names. */
function headerNamesOf(text: string): Outcome<string[], string> {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const bad = names.find((name: string) => !isHeaderName(name)) as string | undefined;
  return bad === undefined ? success(names) : failure(`header names separated by commas; '${bad}' is not one`);
}

function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/**
 * Reads the consumer's configuration from the environment. Every variable is optional; the
 * README's "Configuration" table lists them with their defaults.
 */
function readConsumerConfig(env: Env = process.env): ConsumerConfig {
  const { config, problems } = parseConsumerConfig(env, true);
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}

/**
 * Every problem `readConsumerConfig` would find, without throwing, for checking a function's
 * environment before it is deployed (the construct runs it at synth). Files named by variables
 * are not read when `readFiles` is false (they exist in the function's environment only). The
 * engine's own rule — concurrency within the connection budget — is checked against Lambda's
 * 1,024 descriptors when no FETCH_MAX_SOCKETS is set.
 */
function consumerConfigProblems(env: Env, options: { readFiles: boolean }): string[] {
  const { config, problems } = parseConsumerConfig(env, options.readFiles);
  const { concurrency, maxSockets } = config.engine;
  const budget = maxSockets ?? connectionBudgetFor(LAMBDA_DESCRIPTOR_LIMIT);
  if (concurrency !== undefined && concurrency > budget) {
    problems.push(`FETCH_CONCURRENCY (${concurrency}) must be at most the connection budget (${budget}${maxSockets === undefined ? `: Lambda's ${LAMBDA_DESCRIPTOR_LIMIT} descriptors less a reserve` : ', FETCH_MAX_SOCKETS'})`);
  }
  return problems;
}

/** Continuation hops a message may take unless MAX_CONTINUATION_HOPS says otherwise. */
const DEFAULT_MAX_HOPS = 8;

/** Lambda's file descriptors per execution environment (Lambda quotas). */
const LAMBDA_DESCRIPTOR_LIMIT = 1_024;

function parseConsumerConfig(env: Env, readFiles: boolean): { config: ConsumerConfig; problems: string[] } {
  const read = new EnvReader(env, readFiles);
  const engine = defined<FetchEngineOptions>({
    // The engine also checks concurrency against the connection budget (FETCH_MAX_SOCKETS, or
    // Lambda's 1,024 descriptors less a reserve: 896).
    concurrency: read.integer('FETCH_CONCURRENCY', OPTION_RANGES.concurrency),
    perOrigin: read.integer('FETCH_PER_ORIGIN', OPTION_RANGES.perOrigin),
    maxSockets: read.integer('FETCH_MAX_SOCKETS', OPTION_RANGES.maxSockets),
    ca: read.file('FETCH_CA_FILE'),
    timeoutMs: read.integer('FETCH_TIMEOUT_MS', OPTION_RANGES.timeoutMs),
    urlTimeoutMs: read.integer('FETCH_URL_TIMEOUT_MS', OPTION_RANGES.urlTimeoutMs),
    connectTimeoutMs: read.integer('FETCH_CONNECT_TIMEOUT_MS', OPTION_RANGES.connectTimeoutMs),
    retries: read.integer('FETCH_RETRIES', OPTION_RANGES.retries),
    maxBodyBytes: read.integer('FETCH_MAX_BODY_BYTES', OPTION_RANGES.maxBodyBytes),
    maxRedirects: read.integer('FETCH_MAX_REDIRECTS', OPTION_RANGES.maxRedirects),
    bodyMode: read.oneOf('FETCH_BODY_MODE', BODY_MODES),
    allowNetworks: read.list('FETCH_ALLOW_NETWORKS'),
    userAgent: read.text('FETCH_USER_AGENT'),
    perHostRate: read.number('FETCH_PER_HOST_RATE', PER_HOST_RATE.min, PER_HOST_RATE.max),
    perHostConcurrency: read.integer('FETCH_PER_HOST_CONCURRENCY', OPTION_RANGES.perHostConcurrency),
    hostRules: read.hostRules('FETCH_HOST_RULES'),
    adaptiveBackoff: read.flag('FETCH_ADAPTIVE_BACKOFF'),
    robotsTxt: read.flag('FETCH_ROBOTS_TXT'),
    ignoreInBody: read.jsonStrings('FETCH_IGNORE_IN_BODY'),
    okStatus: read.parsed('FETCH_OK_STATUS', (text) => {
      const parsed = StatusSet.parse(text);
      return parsed.ok ? success(parsed.value.text) : parsed;
    }),
    method: read.parsed('FETCH_METHOD', methodOf),
    headFallback: read.flag('FETCH_HEAD_FALLBACK'),
    redirectChain: read.flag('FETCH_REDIRECT_CHAIN'),
    keepHeaders: read.parsed('FETCH_KEEP_HEADERS', headerNamesOf),
    tlsInfo: read.flag('FETCH_TLS_INFO'),
    timings: read.flag('FETCH_TIMINGS'),
    truncateAt: read.integer('FETCH_TRUNCATE_AT', OPTION_RANGES.truncateAt),
    acceptTypes: read.parsed('FETCH_ACCEPT_TYPES', (text) => {
      const parsed = AcceptedTypes.parse(text);
      return parsed.ok ? success(parsed.value.list) : parsed;
    }),
  });
  const queueUrl = read.text('CONTINUATION_QUEUE_URL');
  const maxHops = read.integer('MAX_CONTINUATION_HOPS', OPTION_RANGES.maxContinuationHops) ?? DEFAULT_MAX_HOPS;
  const bucket = read.text('RESULTS_BUCKET');
  const prefix = read.text('RESULTS_PREFIX') ?? DEFAULT_RESULTS_PREFIX;
  // Kept bodies as objects of their own by default: inside the message's record object, every
  // body of a message would sit in memory until the message is complete.
  const storeBodies = read.boolean('STORE_BODIES', true);
  const table = read.text('JOBS_TABLE');
  const eventBusName = read.text('JOB_EVENT_BUS');
  const retentionDays = read.integer('JOB_RETENTION_DAYS', OPTION_RANGES.jobRetentionDays) ?? DEFAULT_JOB_RETENTION_DAYS;
  const config: ConsumerConfig = {
    engine,
    deadlineMarginMs: read.integer('DEADLINE_MARGIN_MS', OPTION_RANGES.deadlineMarginMs) ?? 3_000,
    maxAttemptsPerUrl: read.integer('MAX_ATTEMPTS_PER_URL', OPTION_RANGES.maxAttemptsPerUrl),
    ...(queueUrl ? { continuation: { queueUrl, maxHops } } : {}),
    ...(bucket ? { results: { bucket, prefix, storeBodies } } : {}),
    ...(table ? { jobs: { table, eventBusName, retentionDays } } : {}),
  };
  return { config, problems: read.problems };
}

/** Settings of the enqueue function. */
interface EnqueueConfig {
  readonly queueUrl: string;
  /** The jobs table; unset: enqueues start no job. */
  readonly jobsTable: string | undefined;
  /** Where the fetch function stores results (`s3://bucket/prefix`), recorded on each job. */
  readonly resultsBucket: string | undefined;
  readonly resultsPrefix: string;
  readonly eventBusName: string | undefined;
  /** Days a job's items are kept from its start (`JOB_RETENTION_DAYS`). */
  readonly jobRetentionDays?: number;
  /** URLs per message unless the event says otherwise. */
  readonly messageUrls: number;
  /** CIDRs sitemap fetches may reach besides public addresses. */
  readonly allowNetworks: string[];
}

function readEnqueueConfig(env: Env = process.env): EnqueueConfig {
  const read = new EnvReader(env);
  const queueUrl = read.text('QUEUE_URL');
  if (queueUrl === undefined) read.problems.push('QUEUE_URL must name the fetch queue');
  const config = {
    queueUrl: queueUrl ?? '',
    jobsTable: read.text('JOBS_TABLE'),
    resultsBucket: read.text('RESULTS_BUCKET'),
    resultsPrefix: read.text('RESULTS_PREFIX') ?? DEFAULT_RESULTS_PREFIX,
    eventBusName: read.text('JOB_EVENT_BUS'),
    jobRetentionDays: read.integer('JOB_RETENTION_DAYS', OPTION_RANGES.jobRetentionDays) ?? DEFAULT_JOB_RETENTION_DAYS,
    messageUrls: read.integer('MESSAGE_URLS', OPTION_RANGES.messageUrls) ?? DEFAULT_MESSAGE_URLS,
    allowNetworks: read.list('FETCH_ALLOW_NETWORKS'),
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return config;
}

export { consumerConfigProblems, readConsumerConfig, readEnqueueConfig };
export type { ConsumerConfig, ContinuationConfig, EnqueueConfig, Env, JobsConfig, ResultsConfig };
