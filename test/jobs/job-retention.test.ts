import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { StateKeys } from '../../lib/core/state-table.ts';
import { JobStore } from '../../lib/jobs/job-store.ts';
import { JobTally } from '../../lib/jobs/job-tally.ts';
import { readConsumerConfig } from '../../lib/index.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../bin/local/embedded-dynamodb.ts';

/*
 * A job's items expire `JOB_RETENTION_DAYS` after it started (the construct gives the results
 * bucket the same days): the header before any of its records, so a schedule never compares with
 * records that are gone; shard items too, so the table does not grow for ever.
 */
describe('how long a job is kept', () => {
  let ddb: EmbeddedDynamoDb;

  beforeAll(async () => { ddb = await startEmbeddedDynamoDb(); });
  afterAll(async () => { await ddb.stop(); });

  test('the header expires the retention after the job was created, shard items after their first count; ending the job changes neither', async () => {
    const start = Date.parse('2026-12-06T00:00:00Z');
    let clock = start;
    const store = new JobStore(ddb.client, ddb.table, () => new Date(clock), 30);
    const documents = DynamoDBDocumentClient.from(ddb.client);
    const ttlOf = async (key: { readonly pk: string; readonly sk: string }) => (await documents.send(new GetCommand({ TableName: ddb.table, Key: key }))).Item?.ttl as number;
    const day = 86_400;

    await store.create({ jobId: 'kept-30' });
    clock += 3_600_000;
    await store.shardEnqueued('kept-30', 0, 1);
    await store.enqueued('kept-30', { total: 1, messages: 1, invalid: 0, shards: 1 });
    clock += 3_600_000;
    const tally = new JobTally();
    tally.record({ ok: true, bytes: 1, error: null, attempts: 1, latencyMs: 5 });
    const counted = await store.count({ id: 'kept-30', key: '0' }, tally, []);

    expect(counted.completed).toMatchObject({ status: 'completed' });
    expect(await ttlOf(StateKeys.job('kept-30'))).toBe(start / 1000 + 30 * day);
    expect(await ttlOf(StateKeys.shard('kept-30', 0))).toBe(start / 1000 + 3_600 + 30 * day);
  });

  test('JOB_RETENTION_DAYS reaches the consumer\'s configuration; a value out of range is refused', () => {
    expect(readConsumerConfig({ JOBS_TABLE: 't', JOB_RETENTION_DAYS: '30' }).jobs).toMatchObject({ retentionDays: 30 });
    expect(() => readConsumerConfig({ JOBS_TABLE: 't', JOB_RETENTION_DAYS: '0' })).toThrow('JOB_RETENTION_DAYS');
  });
});
