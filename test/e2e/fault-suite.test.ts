import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { drainQueue } from '../support/drain-queue.ts';
import { exited, firstLine, startCli, startLocalSqs } from '../support/cli-process.ts';
import { runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

/** Each misbehaving route, with the final outcome a user should find for its URLs. */
const FAULTS: Record<string, string> = {
  '/ok': 'OK',
  '/hang': 'TIMEOUT',
  '/drip': 'TIMEOUT',
  '/reset': 'CONNECTION_RESET',
  '/truncate': 'CONNECTION_RESET',
  '/flood': 'BODY_TOO_LARGE',
  '/bomb': 'BODY_TOO_LARGE',
  '/limited': 'OK',
  '/storm': 'OK',
  '/loop': 'TOO_MANY_REDIRECTS',
  '/to-metadata': 'BLOCKED_DESTINATION',
  '/gone': 'HTTP_STATUS',
};

describe('fault suite: misbehaving servers and poison messages through the real worker and SQS protocol', () => {
  let server: TestServer;
  let localSqs: ChildProcess;

  beforeAll(async () => {
    const storms = new Map<string, number>();
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    server = await TestServer.start({
      '/ok': routes.text('fine'),
      '/hang': routes.hang(),
      '/drip': routes.drip(50),
      '/reset': routes.reset(),
      '/truncate': routes.truncate(10_000, 100),
      '/flood': routes.stream(64 * 1024 * 1024),
      '/bomb': routes.encoded(bomb, 'gzip'),
      '/limited': (req, res) => {
        // 429 with Retry-After: 1 on the first request of each URL, then 200.
        const seen = storms.get(req.url!) ?? 0;
        storms.set(req.url!, seen + 1);
        if (seen === 0) {
          res.writeHead(429, { 'retry-after': '1' });
          res.end();
        } else res.end('ok');
      },
      '/storm': (req, res) => {
        const seen = storms.get(req.url!) ?? 0;
        storms.set(req.url!, seen + 1);
        res.statusCode = seen < 2 ? 503 : 200;
        res.end();
      },
      '/loop': routes.redirect('/loop'),
      '/to-metadata': routes.redirect('http://169.254.169.254/latest/meta-data/'),
      '/gone': routes.text('gone', 410),
    });
    localSqs = startLocalSqs(['--queue', 'jobs', '--visibility-timeout', '1', '--max-receive-count', '3']);
  });

  afterAll(async () => {
    localSqs.kill('SIGKILL');
    await server.close();
  });

  test('every URL ends with exactly one record of the expected outcome; poison messages end in the DLQ', async () => {
    const { endpoint, queues } = JSON.parse(await firstLine(localSqs)) as { endpoint: string; queues: Record<string, string> };
    const urls = Object.keys(FAULTS).flatMap((path) => Array.from({ length: 4 }, (_, i) => server.url(`${path}?n=${i}`)));
    const enqueued = await runCli(['enqueue', '-', '--queue-url', queues.jobs!, '--endpoint', endpoint, '--message-urls', '5'], { stdin: urls.join('\n') });
    expect(JSON.parse(enqueued.stdout)).toMatchObject({ urls: urls.length, invalid: 0 });
    const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const poison = ['not json at all', '{"urls": 5}', JSON.stringify({ urls: Array.from({ length: 10_001 }, (_, i) => `https://e.example/${i}`) })];
    for (const body of poison) await sqs.send(new SendMessageCommand({ QueueUrl: queues.jobs, MessageBody: body }));
    const out = join(tempDir('faults-'), 'results.jsonl');

    const worker = startCli(['worker', '--queue-url', queues.jobs!, '--endpoint', endpoint, '--out', out, '--exit-when-empty',
      '--allow-network', '127.0.0.0/8', '--timeout', '400', '--retries', '2', '--max-bytes', '1048576', '--concurrency', '16']);
    const { code, stderr } = await exited(worker);

    expect(code).toBe(0);
    const records = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { url: string; error: { code: string } | null });
    expect(records.map((r) => r.url).sort()).toStrictEqual([...urls].sort());
    for (const record of records) {
      const path = new URL(record.url).pathname;
      expect({ path, outcome: record.error?.code ?? 'OK' }).toStrictEqual({ path, outcome: FAULTS[path] });
    }
    const dead = await drainQueue(sqs, queues['jobs-dlq']!);
    expect(dead.sort()).toStrictEqual([...poison].sort());
    const rss = Number(/peak RSS (\d+) MB/.exec(stderr)?.[1]);
    expect(rss).toBeLessThan(400);
    sqs.destroy();
  }, 120_000);
});
