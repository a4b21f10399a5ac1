import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';
import { StateKeys } from '../../lib/core/state-table.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import { createJobsTable } from '../../lib/jobs/jobs-table.ts';

/*
 * What the enqueuer reads of the jobs table to compare with an earlier job (the schedule's latest
 * finished job, the named job's summary), read page by page: every Query here is cut to two items
 * a page (an SDK middleware sets `Limit`), as DynamoDB cuts a page at 1 MB, so each answer below
 * needs the pages after the first (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
 */
describe('the job store reads past the first page of a Query', () => {
  let ddb: EmbeddedDynamoDb;
  let client: DynamoDBClient;
  let table: string;
  let queries = 0;
  let clock = Date.parse('2026-12-01T00:00:00Z');

  beforeAll(async () => {
    ddb = await startEmbeddedDynamoDb();
    client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    client.middlewareStack.add((next) => async (args) => {
      const input = args.input as { KeyConditionExpression?: string; Limit?: number };
      if (input.KeyConditionExpression !== undefined) {
        queries += 1;
        input.Limit = 2;
      }
      return next(args);
    }, { step: 'initialize', name: 'twoItemsPerQueryPage' });
    table = 'paged-jobs';
    await createJobsTable(client, table);
  });

  afterAll(async () => {
    client.destroy();
    await ddb.stop();
  });

  const store = () => new JobStore(client, table, () => new Date(clock += 1_000));

  test('the latest finished job of a schedule, behind newer running ones and pages the filter leaves empty', async () => {
    const jobs = store();
    for (const [jobId, finished] of [['s-1', true], ['s-2', true], ['s-3', false], ['s-4', false], ['s-5', false], ['s-6', false]] as const) {
      await jobs.create({ jobId, schedule: 'nightly' });
      // No shards: a job enqueued with nothing completes at once; the others stay enqueuing.
      if (finished) await jobs.enqueued(jobId, { total: 0, messages: 0, invalid: 0, shards: 0 });
    }
    queries = 0;

    const latest = await jobs.latestFinished('nightly');

    expect(latest).toMatchObject({ jobId: 's-2', status: 'completed' });
    expect(queries).toBeGreaterThan(1);
    expect((await jobs.list()).map((job) => job.jobId)).toStrictEqual(['s-6', 's-5', 's-4', 's-3', 's-2', 's-1']);
    expect(await jobs.latestFinished('weekly')).toBeUndefined();
  });

  test('a job\'s summary adds up every shard, the header and its shards spread over several pages', async () => {
    const jobs = store();
    await jobs.create({ jobId: 'sharded' });
    const documents = DynamoDBDocumentClient.from(client);
    // Five shards, one URL counted in each, as a consumer's count leaves them.
    for (let shard = 0; shard < 5; shard++) {
      await documents.send(new UpdateCommand({
        TableName: table, Key: StateKeys.shard('sharded', shard), UpdateExpression: 'ADD finals :one, ok :one', ExpressionAttributeValues: { ':one': 1 },
      }));
    }
    queries = 0;

    const summary = await jobs.summary('sharded');

    expect(summary).toMatchObject({ jobId: 'sharded', status: 'enqueuing', done: 5, counts: { ok: 5, failed: 0 } });
    // Six items: three full pages, and the empty fourth that a page cut at the last item leads to.
    expect(queries).toBe(4);
  });
});
