import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../core/errors.ts';
import { connectionBudgetFor } from '../net/descriptor-limit.ts';
import { BODY_MODES, type FetchEngineOptions } from '../engine/options.ts';
import { describeRange, inRange, type IntegerRange, OPTION_RANGES, PER_HOST_RATE } from '../core/option-ranges.ts';
import { parseHostRule, type HostRule } from '../politeness/host-rules.ts';
import { DEFAULT_RESULTS_PREFIX } from '../jobs/job-ref.ts';

type Env = Readonly<Record<string, string | undefined>>;

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
}

/** Reads env vars, collecting every problem into one error (not one cold start per typo). */
class EnvReader {
  readonly problems: string[] = [];
  readonly #env: Env;
  readonly #readFiles: boolean;

  constructor(env: Env, readFiles = true) {
    this.#env = env;
    this.#readFiles = readFiles;
  }

  integer(name: string, range: IntegerRange): number | undefined {
    const text = this.#env[name];
    if (text === undefined || text === '') return undefined;
    if (!/^\d+$/.test(text) || !inRange(Number(text), range)) {
      this.problems.push(`${name} must be ${describeRange(range)}, got '${text}'`);
      return undefined;
    }
    return Number(text);
  }

  text(name: string): string | undefined {
    const text = this.#env[name];
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    if (!values.includes(text as T)) {
      this.problems.push(`${name} must be one of ${values.join(', ')}, got '${text}'`);
      return undefined;
    }
    return text as T;
  }

  /** The text of the file a variable names (read at cold start), e.g. a CA bundle in a layer. */
  file(name: string): string | undefined {
    const path = this.text(name);
    if (path === undefined) return undefined;
    if (!this.#readFiles) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      this.problems.push(`${name} must name a readable file, got '${path}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }

  /** A decimal number within [min, max], e.g. a rate of 0.5 requests per second. */
  number(name: string, min: number, max: number): number | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d*\.?\d+$/.test(text) || value < min || value > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}, got '${text}'`);
      return undefined;
    }
    return value;
  }

  /** Host rules, `PATTERN=RATE[/CONCURRENCY]` separated by commas or spaces. */
  hostRules(name: string): HostRule[] | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const rules: HostRule[] = [];
    for (const item of text.split(/[\s,]+/).filter((part) => part !== '')) {
      const rule = parseHostRule(item);
      if (typeof rule === 'string') this.problems.push(`${name}: ${rule}`);
      else rules.push(rule);
    }
    return rules;
  }

  /** A JSON array of strings (regular expressions hold commas and spaces, so no separator would do). */
  jsonStrings(name: string): string[] | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
      this.problems.push(`${name} must be a JSON array of non-empty strings, got '${text}'`);
      return undefined;
    }
    for (const item of value as string[]) {
      try {
        new RegExp(item, 'g');
      } catch {
        this.problems.push(`${name}: '${item}' is not a regular expression`);
        return undefined;
      }
    }
    return value as string[];
  }

  list(name: string): string[] {
    return (this.text(name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  }

  boolean(name: string, fallback = false): boolean {
    const value = this.oneOf(name, ['true', 'false', '1', '0'] as const);
    return value === undefined ? fallback : value === 'true' || value === '1';
  }
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
    adaptiveBackoff: env.FETCH_ADAPTIVE_BACKOFF === undefined ? undefined : read.boolean('FETCH_ADAPTIVE_BACKOFF', true),
    robotsTxt: env.FETCH_ROBOTS_TXT === undefined ? undefined : read.boolean('FETCH_ROBOTS_TXT'),
    ignoreInBody: read.jsonStrings('FETCH_IGNORE_IN_BODY'),
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
  const config: ConsumerConfig = {
    engine,
    deadlineMarginMs: read.integer('DEADLINE_MARGIN_MS', OPTION_RANGES.deadlineMarginMs) ?? 3_000,
    maxAttemptsPerUrl: read.integer('MAX_ATTEMPTS_PER_URL', OPTION_RANGES.maxAttemptsPerUrl),
    ...(queueUrl ? { continuation: { queueUrl, maxHops } } : {}),
    ...(bucket ? { results: { bucket, prefix, storeBodies } } : {}),
    ...(table ? { jobs: { table, eventBusName } } : {}),
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
    messageUrls: read.integer('MESSAGE_URLS', OPTION_RANGES.messageUrls) ?? 100,
    allowNetworks: read.list('FETCH_ALLOW_NETWORKS'),
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return config;
}

export { consumerConfigProblems, EnvReader, readConsumerConfig, readEnqueueConfig };
export type { ConsumerConfig, ContinuationConfig, EnqueueConfig, Env, JobsConfig, ResultsConfig };
