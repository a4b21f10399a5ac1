import type { ChildProcess } from 'node:child_process';
import { exited, firstLine, startCli } from '../support/cli-process.ts';
import { HostsServer } from '../support/hosts-server.ts';
import { runCli } from '../support/run-cli.ts';

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
    local = startCli(['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'polite', '--visibility-timeout', '30']);
  });

  afterAll(async () => {
    for (const child of [...children, local]) child.kill('SIGKILL');
    await server.close();
  });

  test('a rate limit of 5/s holds for the three together', async () => {
    const { endpoint, dynamodbEndpoint, queues } = JSON.parse(await firstLine(local)) as { endpoint: string; dynamodbEndpoint: string; queues: { polite: string } };
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
    const perSecond = new Map<number, number>();
    for (const at of starts) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    // Tokens are leased per wall-clock second (5 each); a request sent in the last moments of one
    // second may arrive in the next, so a second as the server sees it holds at most two seconds'
    // tokens. Three processes each limited on their own would reach 15.
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(10);
    // Over the run: 45 requests at 5/s fleet-wide take 8 s or more from first to last
    // (each process on its own at 5/s would take about 3 s).
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(7_000);
    // Each worker did some of the work.
    expect(ended.every((end) => /batchfetch: [1-9]\d* URLs in/.test(end.stderr))).toBe(true);
  }, 60_000);
});
