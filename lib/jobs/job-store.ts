import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, JOB_LISTING_INDEX, JOB_LISTING_KEY, StateKeys } from '../core/state-table.ts';
import { decodeHandedOn, encodeHandedOn } from './handed-on.ts';
import { shardOf, type JobRef } from './job-ref.ts';
import { emptyTotals, finalStatus, summarize, type JobHeader, type JobStatus, type JobSummary, type ShardTotals } from './job-summary.ts';
import type { JobTally } from './job-tally.ts';

/** An item as the document client reads it: plain values, numbers as numbers, sets as Sets. */
type Item = Record<string, unknown>;

/** A URL of a message handed on in its continuation: its index in the message and attempts spent. */
type ContinuedUrl = readonly [index: number, attempts: number];

interface NewJob {
  readonly jobId: string;
  readonly toleratedFailurePercentage?: number;
  readonly parentJobId?: string;
  readonly results?: string;
  /** The job compares with an earlier one: its records get change classes, its summary counts them. */
  readonly compared?: true;
  /** The earlier job it compares with (none: the first of its schedule, every URL `new`). */
  readonly sinceJobId?: string;
  /** The schedule that started it, whose next job compares with it. */
  readonly schedule?: string;
}

// Every attribute name goes through a placeholder: `status`, `total`, `ttl` and others are
// DynamoDB reserved words (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html).

/**
 * Days a job's items are kept from its start (`JOB_RETENTION_DAYS`; the construct's
 * `resultsExpiration`, which also expires the results bucket's objects that many days after they
 * are written). The header expires that long after the job was created, before any of its records
 * (written later), so a schedule never compares with records that are gone; shard items expire
 * that long after their first count. DynamoDB TTL deletes them within a few days of the time
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html).
 */
const DEFAULT_JOB_RETENTION_DAYS = 90;
const DAY_S = 24 * 3600;

const numberOr0 = (value: unknown): number => (typeof value === 'number' ? value : 0);
const numberOrUndefined = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

// Longer than 300 lines because it is one protocol: every conditional write below depends on the
// others' conditions (a key counted once, a shard completed once, a job completed once), and
// split across files those invariants would have no one place to be read together.

/**
 * Job state in the state table (its layout: core/state-table.ts), through the DynamoDB document
 * client, with conditional single-item writes only — no transactions — so it runs the same on
 * DynamoDB and on DynamoDB-protocol servers without them (dynalite).
 *
 * - the job's header: status, totals known at enqueue, the set of complete shards.
 * - a shard item per hundred messages: counts of the messages with root sequence numbers in [100n, 100n+99],
 *   the set `done` of message keys already counted, `expected` (URLs enqueued in the shard, set
 *   by the enqueuer once the shard's messages are all sent), and for each counted message that
 *   was cut off, the URLs its continuation carries (`cont:<key>`).
 *
 * Exactly once: a message's counts are added by one UpdateItem conditioned on its key not being in
 * `done` yet, which adds it — a redelivery, a duplicate send or a replayed continuation finds it
 * there and adds nothing. A shard is complete when its counted URLs reach `expected`; the job is
 * complete when every shard is, detected by one conditional status change (running → completed
 * or failed), so exactly one caller sees it happen.
 */
class JobStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;

  readonly #retentionS: number;

  constructor(client: DynamoDBClient, table: string, now: () => Date = () => new Date(), retentionDays = DEFAULT_JOB_RETENTION_DAYS) {
    this.#client = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = table;
    this.#now = now;
    this.#retentionS = retentionDays * DAY_S;
  }

  /** The epoch second an item written now expires at. */
  #expiry(): number {
    return Math.floor(this.#now().getTime() / 1000) + this.#retentionS;
  }

  /** Creates the job (status enqueuing); the existing job's summary when the id is taken. */
  async create(job: NewJob): Promise<{ readonly created: true } | { readonly created: false; readonly existing: JobSummary }> {
    const now = this.#now().toISOString();
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#table,
        Item: {
          ...StateKeys.job(job.jobId), [JOB_LISTING_KEY.partition]: JOB_LISTING_KEY.value,
          jobId: job.jobId, status: 'enqueuing', createdAt: now, updatedAt: now, total: 0, messages: 0, invalid: 0, shardCount: 0, ttl: this.#expiry(),
          toleratedFailurePercentage: job.toleratedFailurePercentage, parentJobId: job.parentJobId, results: job.results,
          compared: job.compared, sinceJobId: job.sinceJobId, schedule: job.schedule,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      }));
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { created: false, existing: (await this.summary(job.jobId))! };
    }
  }

  /** Records that all messages of `shard` were sent, carrying `expected` URLs; completes it if they are all counted. */
  async shardEnqueued(jobId: string, shard: number, expected: number): Promise<JobSummary | undefined> {
    const { Attributes = {} } = await this.#client.send(new UpdateCommand({
      TableName: this.#table,
      Key: StateKeys.shard(jobId, shard),
      UpdateExpression: 'SET #expected = :expected, #ttl = if_not_exists(#ttl, :ttl)',
      ExpressionAttributeNames: { '#expected': 'expected', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':expected': expected, ':ttl': this.#expiry() },
      ReturnValues: 'ALL_NEW',
    }));
    return numberOr0(Attributes.finals) >= expected ? this.#shardComplete(jobId, shard) : undefined;
  }

  /**
   * Enqueuing ended: the job runs with these totals (and may already be complete). `missing`:
   * the earlier job's URLs the list no longer has, when it compares (set, never added: an
   * enqueuer run again finds the same ones).
   */
  async enqueued(jobId: string, totals: EnqueuedTotals): Promise<JobSummary | undefined> {
    try {
      await this.#setRunning(jobId, totals);
    } catch (error) {
      // Another enqueuer of the same job (a duplicate delivery of one firing) got there first.
      if (!isConditionFailure(error)) throw error;
    }
    return this.#tryComplete(jobId);
  }

  async #setRunning(jobId: string, totals: EnqueuedTotals): Promise<void> {
    await this.#client.send(new UpdateCommand({
      TableName: this.#table,
      Key: StateKeys.job(jobId),
      UpdateExpression: 'SET #status = :running, #total = :total, #messages = :messages, #invalid = :invalid, #shardCount = :shards, #updatedAt = :now'
        + (totals.missing === undefined ? '' : ', #missing = :missing'),
      ConditionExpression: '#status = :enqueuing',
      ExpressionAttributeNames: {
        '#status': 'status', '#total': 'total', '#messages': 'messages', '#invalid': 'invalid', '#shardCount': 'shardCount', '#updatedAt': 'updatedAt',
        ...(totals.missing === undefined ? {} : { '#missing': 'missing' }),
      },
      ExpressionAttributeValues: {
        ':running': 'running', ':enqueuing': 'enqueuing', ':total': totals.total, ':messages': totals.messages,
        ':invalid': totals.invalid, ':shards': totals.shards, ':now': this.#now().toISOString(),
        ...(totals.missing === undefined ? {} : { ':missing': totals.missing }),
      },
    }));
  }

  /**
   * Whether the message was counted already and, if so, which of its URLs its continuation
   * carries (a redelivery then sends that same continuation again instead of fetching anything)
   * and whether its shard has counted every URL it expects (`finishShard` then makes sure the
   * shard's and the job's completion happened).
   */
  async counted(ref: JobRef): Promise<{ readonly counted: false } | { readonly counted: true; readonly continued: readonly ContinuedUrl[]; readonly shardFinished: boolean }> {
    const contName = `cont:${ref.key}`;
    const { Item } = await this.#client.send(new GetCommand({
      TableName: this.#table,
      Key: StateKeys.shard(ref.id, shardOf(ref.key)),
      ConsistentRead: true,
      ProjectionExpression: '#done, #cont, #finals, #expected',
      ExpressionAttributeNames: { '#done': 'done', '#cont': contName, '#finals': 'finals', '#expected': 'expected' },
    }));
    const done: unknown = Item?.done;
    if (!(done instanceof Set) || !done.has(ref.key)) return { counted: false };
    const expected = numberOrUndefined(Item?.expected);
    return { counted: true, continued: continuedOf(text(Item?.[contName])), shardFinished: expected !== undefined && numberOr0(Item?.finals) >= expected };
  }

  /**
   * The completion a count that finished the message's shard makes, made again: for a delivery
   * of a message counted already whose shard is finished (the counted delivery may have died, or
   * its completion failed, right after its count). Conditional like the first: the job's summary
   * only when this call ended the job.
   */
  async finishShard(ref: JobRef): Promise<JobSummary | undefined> {
    return this.#shardComplete(ref.id, shardOf(ref.key));
  }

  /** The job's summary when its end is due and not announced (it may end now): for an enqueuer run again. */
  async reviewEnd(jobId: string): Promise<JobSummary | undefined> {
    return this.#tryComplete(jobId);
  }

  /**
   * Adds a message's tally once (see the class comment). Returns 'already' when the key was
   * counted before, and the job's summary when this call completed the job.
   */
  async count(ref: JobRef, tally: JobTally, continued: readonly ContinuedUrl[]): Promise<{ readonly outcome: 'counted' | 'already'; readonly completed?: JobSummary }> {
    const names: Record<string, string> = {
      '#done': 'done', '#finals': 'finals', '#ok': 'ok', '#bytes': 'bytes', '#firstAt': 'firstAt', '#lastAt': 'lastAt', '#ttl': 'ttl',
    };
    const values: Record<string, unknown> = {
      ':key': new Set([ref.key]), ':keyText': ref.key, ':finals': tally.finals, ':ok': tally.ok, ':bytes': tally.bytes,
      ':now': this.#now().toISOString(), ':ttl': this.#expiry(),
    };
    const adds = ['#done :key', '#finals :finals', '#ok :ok', '#bytes :bytes'];
    const sets = ['#firstAt = if_not_exists(#firstAt, :now)', '#lastAt = :now', '#ttl = if_not_exists(#ttl, :ttl)'];
    let i = 0;
    const add = (attribute: string, value: number) => {
      i += 1;
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = value;
      adds.push(`#a${i} :a${i}`);
    };
    for (const [code, count] of tally.codes) add(`code:${code}`, count);
    for (const [change, count] of tally.changes) add(`change:${change}`, count);
    if (tally.latencyCount > 0) {
      add('lat:count', tally.latencyCount);
      add('lat:sum', Math.round(tally.latencySumMs));
      for (const [bucket, count] of tally.latencyBuckets) add(`lat:b${bucket}`, count);
    }
    if (continued.length > 0) {
      // Compact (at most 1.8 KB, as in the records object's metadata): a shard item holds a
      // hundred messages' continuations within DynamoDB's 400 KB item.
      names['#cont'] = `cont:${ref.key}`;
      values[':cont'] = encodeHandedOn(continued);
      sets.push('#cont = :cont');
    }
    const shard = shardOf(ref.key);
    let attributes: Item;
    try {
      ({ Attributes: attributes = {} } = await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: StateKeys.shard(ref.id, shard),
        UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_not_exists(#done) OR NOT contains(#done, :keyText)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      })));
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'already' };
      throw error;
    }
    const expected = numberOrUndefined(attributes.expected);
    const completed = expected !== undefined && numberOr0(attributes.finals) >= expected ? await this.#shardComplete(ref.id, shard) : undefined;
    return completed ? { outcome: 'counted', completed } : { outcome: 'counted' };
  }

  /** The job as it stands, or undefined when there is no such job. */
  async summary(jobId: string): Promise<JobSummary | undefined> {
    const state = await this.#read(jobId);
    return state && summarize(state.header, state.totals);
  }

  /**
   * Every job's header, newest first, from the sparse listing index (job headers only: no counts,
   * which live in the job's shards; `summary` reads them).
   */
  async list(): Promise<JobHeader[]> {
    const jobs: JobHeader[] = [];
    for await (const items of this.#listingPages()) for (const item of items) jobs.push(headerOf(item));
    return jobs;
  }

  /**
   * Pages of job headers from the listing index, newest first, optionally filtered (a Query per
   * page, through the SDK's paginator: it follows LastEvaluatedKey until there is none,
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
   */
  async* #listingPages(filter?: { readonly expression: string; readonly names: Record<string, string>; readonly values: Record<string, unknown> }): AsyncGenerator<Item[]> {
    for await (const page of paginateQuery({ client: this.#client }, {
      TableName: this.#table,
      IndexName: JOB_LISTING_INDEX,
      KeyConditionExpression: '#listing = :job',
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ExpressionAttributeNames: { '#listing': JOB_LISTING_KEY.partition, ...filter?.names },
      ExpressionAttributeValues: { ':job': JOB_LISTING_KEY.value, ...filter?.values },
      ScanIndexForward: false,
    })) yield page.Items ?? [];
  }

  /**
   * The newest finished (completed or failed) job a schedule started, the one its next job
   * compares with; undefined when it has none. Reads the listing index newest first and stops at
   * the first match (a page of job headers per call).
   */
  async latestFinished(schedule: string): Promise<JobSummary | undefined> {
    for await (const items of this.#listingPages({
      // Past its TTL a header may linger for days before DynamoDB deletes it; its records are gone.
      expression: '#schedule = :schedule AND #status IN (:completed, :failed) AND (attribute_not_exists(#ttl) OR #ttl > :now)',
      names: { '#schedule': 'schedule', '#status': 'status', '#ttl': 'ttl' },
      values: { ':schedule': schedule, ':completed': 'completed', ':failed': 'failed', ':now': Math.floor(this.#now().getTime() / 1000) },
    })) {
      if (items[0]) return summarize(headerOf(items[0]), emptyTotals());
    }
    return undefined;
  }

  /**
   * Marks a shard complete, then tries to end the job. The job is tried even when the shard was
   * marked already: whoever marked it may have died before trying.
   */
  async #shardComplete(jobId: string, shard: number): Promise<JobSummary | undefined> {
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: StateKeys.job(jobId),
        UpdateExpression: 'ADD #complete :shard',
        // A header gone (expired, deleted) is not made again as a header with no status.
        ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#complete) OR NOT contains(#complete, :shardNumber))',
        ExpressionAttributeNames: { '#complete': 'completeShards', '#pk': 'pk' },
        ExpressionAttributeValues: { ':shard': new Set([shard]), ':shardNumber': shard },
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    return this.#tryComplete(jobId);
  }

  /**
   * Moves a running job whose shards are all complete to its final status; exactly one caller
   * succeeds. A job ended already but whose end is not announced yet is returned too: its end
   * is asked for again (handling it is idempotent: `claimEnd`).
   */
  async #tryComplete(jobId: string): Promise<JobSummary | undefined> {
    const state = await this.#read(jobId);
    if (state && (state.header.status === 'completed' || state.header.status === 'failed') && state.header.announcedAt === undefined) {
      return summarize(state.header, state.totals);
    }
    if (!state || state.header.status !== 'running' || state.completeShards < state.shardCount) return undefined;
    const status = finalStatus(state.header, state.totals);
    const now = this.#now();
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: StateKeys.job(jobId),
        UpdateExpression: 'SET #status = :final, #completedAt = :now, #updatedAt = :now',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status', '#completedAt': 'completedAt', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':final': status, ':running': 'running', ':now': now.toISOString() },
      }));
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    return summarize({ ...state.header, status, completedAt: now.toISOString() }, state.totals);
  }

  /**
   * Takes the writing of an ended job's end (its objects and event) for `leaseMs`, the lease
   * pattern of Powertools' idempotency utility: `claimed` for the caller that may do it now,
   * `announced` when it is done, `busy` while another caller's lease runs (SQS delivers the
   * message again later; a caller that died leaves a lease that runs out).
   */
  async claimEnd(jobId: string, token: string, leaseMs: number): Promise<'claimed' | 'announced' | 'busy' | 'gone'> {
    const now = this.#now().getTime();
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: StateKeys.job(jobId),
        UpdateExpression: 'SET #ending = :token, #endingUntil = :until',
        ConditionExpression: 'attribute_not_exists(#announcedAt) AND #status IN (:completed, :failed) AND (attribute_not_exists(#endingUntil) OR #endingUntil < :now)',
        ExpressionAttributeNames: { '#ending': 'ending', '#endingUntil': 'endingUntil', '#announcedAt': 'announcedAt', '#status': 'status' },
        ExpressionAttributeValues: { ':token': token, ':until': now + leaseMs, ':now': now, ':completed': 'completed', ':failed': 'failed' },
      }));
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const state = await this.#read(jobId);
    if (!state) return 'gone';
    if (state.header.announcedAt !== undefined) return 'announced';
    if (state.header.status !== 'completed' && state.header.status !== 'failed') throw new Error(`job '${jobId}' is ${state.header.status}, not ended`);
    return 'busy';
  }

  /** Gives a lease back (its holder failed to write the end): the next caller may try at once. */
  async releaseEnd(jobId: string, token: string): Promise<void> {
    try {
      await this.#client.send(new UpdateCommand({
        TableName: this.#table,
        Key: StateKeys.job(jobId),
        UpdateExpression: 'REMOVE #ending, #endingUntil',
        ConditionExpression: '#ending = :token',
        ExpressionAttributeNames: { '#ending': 'ending', '#endingUntil': 'endingUntil' },
        ExpressionAttributeValues: { ':token': token },
      }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Records that the job's end is written and announced, by the holder of the lease (`claimEnd`). */
  async endAnnounced(jobId: string, token: string): Promise<void> {
    await this.#client.send(new UpdateCommand({
      TableName: this.#table,
      Key: StateKeys.job(jobId),
      UpdateExpression: 'SET #announcedAt = :now REMOVE #ending, #endingUntil',
      ConditionExpression: '#ending = :token',
      ExpressionAttributeNames: { '#announcedAt': 'announcedAt', '#ending': 'ending', '#endingUntil': 'endingUntil' },
      ExpressionAttributeValues: { ':now': this.#now().toISOString(), ':token': token },
    }));
  }

  async #read(jobId: string): Promise<{ header: JobHeader; totals: ShardTotals; completeShards: number; shardCount: number } | undefined> {
    const items: Item[] = [];
    for await (const page of paginateQuery({ client: this.#client }, {
      TableName: this.#table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': StateKeys.jobPartition(jobId) },
      ConsistentRead: true,
    })) items.push(...(page.Items ?? []));
    const headerSk = StateKeys.job(jobId).sk;
    const job = items.find((item) => item.sk === headerSk);
    if (!job) return undefined;
    const totals = emptyTotals();
    for (const item of items) if (item.sk !== headerSk) addShard(totals, item);
    const complete = job.completeShards;
    return { header: headerOf(job), totals, completeShards: complete instanceof Set ? complete.size : 0, shardCount: numberOr0(job.shardCount) };
  }
}

/** A recorded continuation: compact (lib/jobs/handed-on.ts), or JSON as items written before it were. */
function continuedOf(recorded: string | undefined): ContinuedUrl[] {
  if (recorded === undefined) return [];
  return recorded.startsWith('[') ? JSON.parse(recorded) as ContinuedUrl[] : decodeHandedOn(recorded);
}

function headerOf(item: Item): JobHeader {
  const tolerated = numberOrUndefined(item.toleratedFailurePercentage);
  const completedAt = text(item.completedAt);
  const announcedAt = text(item.announcedAt);
  const parentJobId = text(item.parentJobId);
  const results = text(item.results);
  const sinceJobId = text(item.sinceJobId);
  const schedule = text(item.schedule);
  return {
    jobId: text(item.jobId) ?? '',
    status: text(item.status) as JobStatus,
    total: numberOr0(item.total),
    invalid: numberOr0(item.invalid),
    messages: numberOr0(item.messages),
    createdAt: text(item.createdAt) ?? '',
    ...(completedAt ? { completedAt } : {}),
    ...(announcedAt ? { announcedAt } : {}),
    ...(tolerated === undefined ? {} : { toleratedFailurePercentage: tolerated }),
    ...(parentJobId ? { parentJobId } : {}),
    ...(results ? { results } : {}),
    ...(item.compared === true ? { compared: { missing: numberOr0(item.missing), ...(sinceJobId ? { sinceJobId } : {}) } } : {}),
    ...(schedule ? { schedule } : {}),
  };
}

function addShard(totals: ShardTotals, item: Item): void {
  totals.finals += numberOr0(item.finals);
  totals.ok += numberOr0(item.ok);
  totals.bytes += numberOr0(item.bytes);
  totals.latencyCount += numberOr0(item['lat:count']);
  totals.latencySumMs += numberOr0(item['lat:sum']);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('code:')) totals.codes.set(name.slice(5), (totals.codes.get(name.slice(5)) ?? 0) + numberOr0(value));
    if (name.startsWith('change:')) totals.changes.set(name.slice(7), (totals.changes.get(name.slice(7)) ?? 0) + numberOr0(value));
    if (name.startsWith('lat:b')) {
      const bucket = Number(name.slice(5));
      totals.latencyBuckets.set(bucket, (totals.latencyBuckets.get(bucket) ?? 0) + numberOr0(value));
    }
  }
  const firstAt = text(item.firstAt);
  const lastAt = text(item.lastAt);
  if (firstAt && (!totals.firstAt || firstAt < totals.firstAt)) totals.firstAt = firstAt;
  if (lastAt && (!totals.lastAt || lastAt > totals.lastAt)) totals.lastAt = lastAt;
}

/** What enqueuing a job found: URLs sent, messages, refused lines, accounting shards, missing URLs. */
interface EnqueuedTotals {
  readonly total: number;
  readonly messages: number;
  readonly invalid: number;
  readonly shards: number;
  readonly missing?: number;
}

export { DEFAULT_JOB_RETENTION_DAYS, JobStore };
export type { ContinuedUrl, EnqueuedTotals, NewJob };
