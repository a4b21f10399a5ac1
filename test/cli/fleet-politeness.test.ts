import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { StateKeys } from '../../lib/core/state-table.ts';
import type { ChildProcess } from 'node:child_process';
import { exited, firstLine, startCli, startLocalSqs } from '../support/cli-process.ts';
import { HostsServer } from '../support/hosts-server.ts';
import { runCli } from '../support/run-cli.ts';

/** The rate windows the fleet leased tokens from for `host` (their items' layout: lib/core/state-table.ts). */
async function rateWindows(endpoint: string, table: string, host: string): Promise<Array<{ window: string; used: number }>> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  try {
    const { Items = [] } = await client.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rate)',
      ExpressionAttributeValues: { ':pk': { S: StateKeys.rateWindow(host, 0, 0).pk }, ':rate': { S: 'rate#' } },
    }));
    return Items.map((item) => ({ window: item.sk!.S!, used: Number(item.used!.N) }));
  } finally {
    client.destroy();
  }
}

/*
 * A per-host rate that holds across the fleet: three worker processes share one queue and one
 * DynamoDB-protocol table (local-sqs), each told `--host-rule localhost=5`. Together they must
 * not start more than 5 requests to the host in any second of the wall clock.
 */
describe('fleet-wide politeness (three workers, one table)', () => {
  let server: HostsServer;
  let local: ChildProcess;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await HostsServer.start();
    local = startLocalSqs(['--queue', 'polite', '--visibility-timeout', '30']);
  });

  afterAll(async () => {
    for (const child of [...children, local]) child.kill('SIGKILL');
    await server.close();
  });

  test('a rate limit of 5/s holds for the three together', async () => {
    const { endpoint, dynamodbEndpoint, jobsTable, queues } = JSON.parse(await firstLine(local)) as { endpoint: string; dynamodbEndpoint: string; jobsTable: string; queues: { polite: string } };
    const urls = Array.from({ length: 45 }, (_, i) => server.url('localhost', `/?i=${i}`));
    await runCli(['enqueue', '-', '--queue-url', queues.polite, '--endpoint', endpoint, '--message-urls', '3'], { stdin: urls.join('\n') });

    const workers = Array.from({ length: 3 }, () => startCli(['worker', '--queue-url', queues.polite, '--endpoint', endpoint,
      '--dynamodb-endpoint', dynamodbEndpoint, '--allow-network', '127.0.0.0/8', '--host-rule', 'localhost=5', '--batch-size', '1',
      '--exit-when-empty', '--out', '/dev/null']));
    children.push(...workers);
    const ended = await Promise.all(workers.map(exited));

    expect(ended.map((end) => end.code)).toStrictEqual([0, 0, 0]);
    const starts = server.started.get('localhost')!;
    expect(starts).toHaveLength(45);
    // The fleet's tokens, as the shared table counted them: one item per wall-clock second, never
    // more than 5 used in one, and enough in all for every request (three processes each limited
    // on their own would have used none). Read from the table, not timed at the server, whose
    // arrival times bunch when this process is busy.
    const windows = await rateWindows(dynamodbEndpoint, jobsTable, 'localhost');
    expect(Math.max(...windows.map((window) => window.used))).toBeLessThanOrEqual(5);
    expect(windows.reduce((sum, window) => sum + window.used, 0)).toBeGreaterThanOrEqual(45);
    // Over the run: 45 requests at 5/s fleet-wide take 8 s or more from first to last
    // (each process on its own at 5/s would take about 3 s).
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(7_000);
    // Each worker did some of the work.
    expect(ended.every((end) => /batchfetch: [1-9]\d* URLs in/.test(end.stderr))).toBe(true);
  }, 60_000);
});
