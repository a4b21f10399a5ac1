import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { shardOf, type JobRef } from './job-ref.ts';
import { emptyTotals, finalStatus, summarize, type JobHeader, type JobStatus, type JobSummary, type ShardTotals } from './job-summary.ts';
import type { JobTally } from './job-tally.ts';

type Item = Record<string, AttributeValue>;

/** A URL of a message handed on in its continuation: its index in the message and attempts spent. */
type ContinuedUrl = readonly [index: number, attempts: number];

interface NewJob {
  readonly jobId: string;
  readonly toleratedFailurePercentage?: number;
  readonly parentJobId?: string;
  readonly results?: string;
}

// Every attribute name goes through a placeholder: `status`, `total`, `ttl` and others are
// DynamoDB reserved words (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html).

/** Finished jobs are deleted by DynamoDB TTL after this long. */
const FINISHED_JOB_TTL_S = 90 * 24 * 3600;

const jobPk = (jobId: string) => `job#${jobId}`;
const shardSk = (shard: number) => `shard#${String(shard).padStart(6, '0')}`;
const JOB_SK = 'job';
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const num = (value: AttributeValue | undefined): number | undefined => (value?.N === undefined ? undefined : Number(value.N));

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * Job state in one DynamoDB table (partition key `pk`, sort key `sk`, both strings), with
 * conditional single-item writes only — no transactions — so it runs the same on DynamoDB and
 * on DynamoDB-protocol servers without them (dynalite).
 *
 * - `job#<id>` / `job`: status, totals known at enqueue, the set of complete shards.
 * - `job#<id>` / `shard#<n>`: counts of the messages with root sequence numbers in [100n, 100n+99],
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
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => Date;

  constructor(client: DynamoDBClient, table: string, now: () => Date = () => new Date()) {
    this.#client = client;
    this.#table = table;
    this.#now = now;
  }

  /** Creates the job (status enqueuing); the existing job's summary when the id is taken. */
  async create(job: NewJob): Promise<{ readonly created: true } | { readonly created: false; readonly existing: JobSummary }> {
    const now = this.#now().toISOString();
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: S(jobPk(job.jobId)), sk: S(JOB_SK), jobId: S(job.jobId), status: S('enqueuing'), createdAt: S(now), updatedAt: S(now),
          total: N(0), messages: N(0), invalid: N(0), shardCount: N(0),
          ...(job.toleratedFailurePercentage === undefined ? {} : { toleratedFailurePercentage: N(job.toleratedFailurePercentage) }),
          ...(job.parentJobId ? { parentJobId: S(job.parentJobId) } : {}),
          ...(job.results ? { results: S(job.results) } : {}),
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
    const { Attributes = {} } = await this.#client.send(new UpdateItemCommand({
      TableName: this.#table,
      Key: { pk: S(jobPk(jobId)), sk: S(shardSk(shard)) },
      UpdateExpression: 'SET #expected = :expected',
      ExpressionAttributeNames: { '#expected': 'expected' },
      ExpressionAttributeValues: { ':expected': N(expected) },
      ReturnValues: 'ALL_NEW',
    }));
    return (num(Attributes.finals) ?? 0) >= expected ? this.#shardComplete(jobId, shard) : undefined;
  }

  /** Enqueuing ended: the job runs with these totals (and may already be complete). */
  async enqueued(jobId: string, totals: { total: number; messages: number; invalid: number; shards: number }): Promise<JobSummary | undefined> {
    try {
      await this.#setRunning(jobId, totals);
    } catch (error) {
      // Another enqueuer of the same job (a duplicate delivery of one firing) got there first.
      if (!isConditionFailure(error)) throw error;
    }
    return this.#tryComplete(jobId);
  }

  async #setRunning(jobId: string, totals: { total: number; messages: number; invalid: number; shards: number }): Promise<void> {
    await this.#client.send(new UpdateItemCommand({
      TableName: this.#table,
      Key: { pk: S(jobPk(jobId)), sk: S(JOB_SK) },
      UpdateExpression: 'SET #status = :running, #total = :total, #messages = :messages, #invalid = :invalid, #shardCount = :shards, #updatedAt = :now',
      ConditionExpression: '#status = :enqueuing',
      ExpressionAttributeNames: {
        '#status': 'status', '#total': 'total', '#messages': 'messages', '#invalid': 'invalid', '#shardCount': 'shardCount', '#updatedAt': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':running': S('running'), ':enqueuing': S('enqueuing'), ':total': N(totals.total), ':messages': N(totals.messages),
        ':invalid': N(totals.invalid), ':shards': N(totals.shards), ':now': S(this.#now().toISOString()),
      },
    }));
  }

  /**
   * Whether the message was counted already and, if so, which of its URLs its continuation
   * carries: a redelivery then sends that same continuation again instead of fetching anything.
   */
  async counted(ref: JobRef): Promise<{ readonly counted: false } | { readonly counted: true; readonly continued: readonly ContinuedUrl[] }> {
    const contName = `cont:${ref.key}`;
    const { Item } = await this.#client.send(new GetItemCommand({
      TableName: this.#table,
      Key: { pk: S(jobPk(ref.id)), sk: S(shardSk(shardOf(ref.key))) },
      ConsistentRead: true,
      ProjectionExpression: '#done, #cont',
      ExpressionAttributeNames: { '#done': 'done', '#cont': contName },
    }));
    if (!Item?.done?.SS?.includes(ref.key)) return { counted: false };
    return { counted: true, continued: Item[contName]?.S ? JSON.parse(Item[contName].S) as ContinuedUrl[] : [] };
  }

  /**
   * Adds a message's tally once (see the class comment). Returns 'already' when the key was
   * counted before, and the job's summary when this call completed the job.
   */
  async count(ref: JobRef, tally: JobTally, continued: readonly ContinuedUrl[]): Promise<{ readonly outcome: 'counted' | 'already'; readonly completed?: JobSummary }> {
    const names: Record<string, string> = {
      '#done': 'done', '#finals': 'finals', '#ok': 'ok', '#bytes': 'bytes', '#firstAt': 'firstAt', '#lastAt': 'lastAt',
    };
    const values: Item = {
      ':key': { SS: [ref.key] }, ':keyText': S(ref.key), ':finals': N(tally.finals), ':ok': N(tally.ok), ':bytes': N(tally.bytes),
      ':now': S(this.#now().toISOString()),
    };
    const adds = ['#done :key', '#finals :finals', '#ok :ok', '#bytes :bytes'];
    const sets = ['#firstAt = if_not_exists(#firstAt, :now)', '#lastAt = :now'];
    let i = 0;
    const add = (attribute: string, value: number) => {
      i += 1;
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = N(value);
      adds.push(`#a${i} :a${i}`);
    };
    for (const [code, count] of tally.codes) add(`code:${code}`, count);
    if (tally.latencyCount > 0) {
      add('lat:count', tally.latencyCount);
      add('lat:sum', Math.round(tally.latencySumMs));
      for (const [bucket, count] of tally.latencyBuckets) add(`lat:b${bucket}`, count);
    }
    if (continued.length > 0) {
      names['#cont'] = `cont:${ref.key}`;
      values[':cont'] = S(JSON.stringify(continued));
      sets.push('#cont = :cont');
    }
    const shard = shardOf(ref.key);
    let attributes: Item;
    try {
      ({ Attributes: attributes = {} } = await this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: S(jobPk(ref.id)), sk: S(shardSk(shard)) },
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
    const expected = num(attributes.expected);
    const completed = expected !== undefined && (num(attributes.finals) ?? 0) >= expected ? await this.#shardComplete(ref.id, shard) : undefined;
    return completed ? { outcome: 'counted', completed } : { outcome: 'counted' };
  }

  /** The job as it stands, or undefined when there is no such job. */
  async summary(jobId: string): Promise<JobSummary | undefined> {
    const state = await this.#read(jobId);
    return state && summarize(state.header, state.totals);
  }

  /** Every job's header, newest first (a Scan: fine for the jobs of one deployment). */
  async list(): Promise<JobSummary[]> {
    const jobs: JobSummary[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#client.send(new ScanCommand({
        TableName: this.#table, FilterExpression: '#sk = :job', ExpressionAttributeNames: { '#sk': 'sk' },
        ExpressionAttributeValues: { ':job': S(JOB_SK) }, ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) jobs.push(summarize(headerOf(item), emptyTotals()));
      start = page.LastEvaluatedKey;
    } while (start);
    return jobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async #shardComplete(jobId: string, shard: number): Promise<JobSummary | undefined> {
    try {
      await this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: S(jobPk(jobId)), sk: S(JOB_SK) },
        UpdateExpression: 'ADD #complete :shard',
        ConditionExpression: 'attribute_not_exists(#complete) OR NOT contains(#complete, :shardNumber)',
        ExpressionAttributeNames: { '#complete': 'completeShards' },
        ExpressionAttributeValues: { ':shard': { NS: [String(shard)] }, ':shardNumber': N(shard) },
      }));
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    return this.#tryComplete(jobId);
  }

  /** Moves a running job whose shards are all complete to its final status; exactly one caller succeeds. */
  async #tryComplete(jobId: string): Promise<JobSummary | undefined> {
    const state = await this.#read(jobId);
    if (!state || state.header.status !== 'running' || state.completeShards < state.shardCount) return undefined;
    const status = finalStatus(state.header, state.totals);
    const now = this.#now();
    try {
      await this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: S(jobPk(jobId)), sk: S(JOB_SK) },
        UpdateExpression: 'SET #status = :final, #completedAt = :now, #updatedAt = :now, #ttl = :ttl',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl', '#completedAt': 'completedAt', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: {
          ':final': S(status), ':running': S('running'), ':now': S(now.toISOString()), ':ttl': N(Math.floor(now.getTime() / 1000) + FINISHED_JOB_TTL_S),
        },
      }));
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    return summarize({ ...state.header, status, completedAt: now.toISOString() }, state.totals);
  }

  async #read(jobId: string): Promise<{ header: JobHeader; totals: ShardTotals; completeShards: number; shardCount: number } | undefined> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#client.send(new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': S(jobPk(jobId)) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const job = items.find((item) => item.sk?.S === JOB_SK);
    if (!job) return undefined;
    const totals = emptyTotals();
    for (const item of items) if (item.sk?.S !== JOB_SK) addShard(totals, item);
    return { header: headerOf(job), totals, completeShards: job.completeShards?.NS?.length ?? 0, shardCount: num(job.shardCount) ?? 0 };
  }
}

function headerOf(item: Item): JobHeader {
  const tolerated = num(item.toleratedFailurePercentage);
  return {
    jobId: item.jobId!.S!,
    status: item.status!.S! as JobStatus,
    total: num(item.total) ?? 0,
    invalid: num(item.invalid) ?? 0,
    messages: num(item.messages) ?? 0,
    createdAt: item.createdAt!.S!,
    ...(item.completedAt?.S ? { completedAt: item.completedAt.S } : {}),
    ...(tolerated === undefined ? {} : { toleratedFailurePercentage: tolerated }),
    ...(item.parentJobId?.S ? { parentJobId: item.parentJobId.S } : {}),
    ...(item.results?.S ? { results: item.results.S } : {}),
  };
}

function addShard(totals: ShardTotals, item: Item): void {
  totals.finals += num(item.finals) ?? 0;
  totals.ok += num(item.ok) ?? 0;
  totals.bytes += num(item.bytes) ?? 0;
  totals.latencyCount += num(item['lat:count']) ?? 0;
  totals.latencySumMs += num(item['lat:sum']) ?? 0;
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith('code:')) totals.codes.set(name.slice(5), (totals.codes.get(name.slice(5)) ?? 0) + Number(value.N));
    if (name.startsWith('lat:b')) {
      const bucket = Number(name.slice(5));
      totals.latencyBuckets.set(bucket, (totals.latencyBuckets.get(bucket) ?? 0) + Number(value.N));
    }
  }
  const firstAt = item.firstAt?.S;
  const lastAt = item.lastAt?.S;
  if (firstAt && (!totals.firstAt || firstAt < totals.firstAt)) totals.firstAt = firstAt;
  if (lastAt && (!totals.lastAt || lastAt > totals.lastAt)) totals.lastAt = lastAt;
}

export { JobStore };
export type { ContinuedUrl, NewJob };
