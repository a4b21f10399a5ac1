import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('batchfetch run (the local run, in a child process)', () => {
  let server: TestServer;
  let dir: string;

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('hello'), '/hang': routes.hang() });
    dir = tempDir('batchfetch-cli-');
  });

  afterEach(async () => {
    await server.close();
  });

  test('writes one JSON record per URL line, bad lines included, and a summary; exit 0', async () => {
    const input = join(dir, 'urls.txt');
    const out = join(dir, 'results.jsonl');
    const urls = Array.from({ length: 300 }, (_, i) => server.url(`/ok?n=${i}`));
    writeFileSync(input, [...urls, '', '# comment', 'not a url', '{"url":"' + server.url('/missing') + '","id":"m"}', 'http://10.0.0.1/'].join('\n'));

    const run = await runCli(['run', input, '--allow-network', '127.0.0.0/8', '--out', out, '--concurrency', '8', '--message-urls', '40']);

    expect(run.code).toBe(0);
    const records = jsonLines(readFileSync(out, 'utf8'));
    expect(records).toHaveLength(303);
    expect(new Set(records.map((r) => r.url)).size).toBe(303);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(expect.arrayContaining(['url', 'ok', 'status', 'attempts', 'latencyMs', 'bytes', 'error']));
    }
    expect(records.filter((r) => r.ok)).toHaveLength(300);
    expect(records.find((r) => r.id === 'm')).toMatchObject({ ok: false, status: 404, error: { code: 'HTTP_STATUS' } });
    expect(records.find((r) => r.url === 'not a url')).toMatchObject({ error: { code: 'INVALID_URL' } });
    expect(records.find((r) => r.url === 'http://10.0.0.1/')).toMatchObject({ error: { code: 'BLOCKED_DESTINATION' } });
    expect(run.stderr).toMatch(/batchfetch: 303 URLs in .* URLs\/s/);
    expect(run.stderr).toMatch(/latency ms: p50 [\d.]+, p90 [\d.]+, p99 [\d.]+/);
    expect(run.stderr).toContain('outcomes: BLOCKED_DESTINATION 1, HTTP_STATUS 1, INVALID_URL 1, OK 300');
  });

  test('--queue sqs runs the same pipeline through an SQS-protocol server, with the same records', async () => {
    const input = join(dir, 'urls.txt');
    writeFileSync(input, [...Array.from({ length: 50 }, (_, i) => server.url(`/ok?n=${i}`)), 'not a url'].join('\n'));
    const args = ['run', input, '--allow-network', '127.0.0.0/8', '--quiet', '--message-urls', '7'];

    const [memory, sqs] = await Promise.all([runCli(args), runCli([...args, '--queue', 'sqs'])]);

    expect([memory.code, sqs.code]).toStrictEqual([0, 0]);
    const byLine = (stdout: string) => jsonLines(stdout).map((r) => [r.line, r.url, r.ok]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byLine(sqs.stdout)).toStrictEqual(byLine(memory.stdout));
    expect(byLine(sqs.stdout)).toHaveLength(51);
    expect((await runCli(['run', input, '--queue', 'kafka'])).stderr).toContain("--queue expects memory or sqs, got 'kafka'");
  });

  test('reads stdin with - and writes results to stdout', async () => {
    const run = await runCli(['run', '-', '--allow-network', '127.0.0.1/32', '--quiet'], { stdin: `${server.url('/ok')}\n${server.url('/ok')}\n` });

    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toMatchObject([{ ok: true, bytes: 5 }, { ok: true, bytes: 5 }]);
    expect(run.stderr).toBe('');
  });

  test('without an allow-list, loopback targets are blocked', async () => {
    const run = await runCli(['run', '-', '--quiet'], { stdin: `${server.url('/ok')}\n` });

    expect(jsonLines(run.stdout)).toMatchObject([{ ok: false, error: { code: 'BLOCKED_DESTINATION' } }]);
    expect(server.connections).toBe(0);
  });

  test('--deadline ends unfinished URLs as ABORTED, each with its record; exit 0', async () => {
    const input = join(dir, 'slow.txt');
    writeFileSync(input, Array.from({ length: 20 }, (_, i) => server.url(`/hang?i=${i}`)).join('\n'));

    const run = await runCli(['run', input, '--allow-network', '127.0.0.0/8', '--deadline', '500', '--quiet', '--concurrency', '4', '--message-urls', '5']);

    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expect(records).toHaveLength(20);
    expect(records.every((r) => (r.error as { code: string }).code === 'ABORTED')).toBe(true);
  });

  test('the summary names the hosts that held requests back (a 429 pauses the host)', async () => {
    let first = true;
    server.route('/busy', (_req, res) => {
      if (first) {
        first = false;
        res.writeHead(429, { 'retry-after': '1' }).end();
      } else {
        res.end('ok');
      }
    });
    const urls = Array.from({ length: 4 }, (_, i) => server.url(`/busy?i=${i}`)).join('\n');

    const { code, stderr } = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--concurrency', '1'], { stdin: `${urls}\n` });

    expect(code).toBe(0);
    expect(stderr).toMatch(/politeness: \d+ waits for a host, 1 pushbacks; most throttled: 127\.0\.0\.1 waited \d+ \(1 pushbacks\)/);
  });

  test('--summary-json writes the summary with process figures and a job summary\'s fields', async () => {
    const summary = join(dir, 'summary.json');

    await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet', '--summary-json', summary, '--job-id', 'local-1'], {
      stdin: `${server.url('/ok')}\nnot a url\n`,
    });

    expect(JSON.parse(readFileSync(summary, 'utf8'))).toMatchObject({
      jobId: 'local-1', status: 'completed', total: 2, done: 2, counts: { ok: 1, failed: 1, byCode: { INVALID_URL: 1 } },
      urls: 2, ok: 1, outcomes: { OK: 1, INVALID_URL: 1 }, cpuMs: expect.any(Number), peakRssMb: expect.any(Number),
    });
  });

  test('a shuffled list over more origins than sockets is cut into messages by origin and reuses its connections, counted in the summary', async () => {
    const servers = await Promise.all(Array.from({ length: 20 }, () => TestServer.start({ '/ok': routes.text('hello') })));
    try {
      const urls = servers.flatMap((origin) => Array.from({ length: 30 }, (_, i) => origin.url(`/ok?n=${i}`)));
      // Every origin's URLs spread through the list: 0, 20, 40, … are one origin.
      const list = urls.map((_, i) => urls[(i % 20) * 30 + Math.floor(i / 20)]!);
      const input = join(dir, 'urls.txt');
      const summary = join(dir, 'summary.json');
      writeFileSync(input, list.join('\n'));

      const run = await runCli(['run', input, '--allow-network', '127.0.0.0/8', '--out', join(dir, 'out.jsonl'), '--summary-json', summary, '--message-urls', '50', '--concurrency', '8', '--max-sockets', '12']);

      expect(run.code).toBe(0);
      const opened = servers.reduce((sum, origin) => sum + origin.connections, 0);
      expect(JSON.parse(readFileSync(summary, 'utf8'))).toMatchObject({ ok: 600, connectionsOpened: opened, connectionsReused: 600 - opened });
      // 12 sockets cycling through 20 origins in list order would open one for nearly every URL.
      expect(opened).toBeLessThanOrEqual(600 / 4);
      expect(run.stderr).toContain(`connections: opened ${opened} (`);
    } finally {
      await Promise.all(servers.map((origin) => origin.close()));
    }
  });

  test.each([
    [['run'], 'run expects exactly one FILE (use - for stdin)'],
    [['run', '-', '--concurrency', 'lots'], "--concurrency expects an integer from 1 to 4096, got 'lots'"],
    [['run', '-', '--body', 'print'], "--body expects discard, hash or keep, got 'print'"],
    [['run', '-', '--allow-network', 'everything'], "--allow-network expects a list of CIDRs such as 127.0.0.0/8 or ::1/128, got 'everything'"],
    [['run', '/no/such/file'], 'cannot read /no/such/file: ENOENT'],
    [['fly'], "unknown command 'fly'"],
  ])('%j is a usage error: exit 2 with a clear message', async (args, message) => {
    const run = await runCli(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  test('--help answers', async () => {
    const run = await runCli(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('batchfetch run FILE [options]');
  });
});

describe('batchfetch enqueue', () => {
  test('sends a file to an SQS-protocol queue as batchfetch messages and reports invalid lines', async () => {
    const { startEmbeddedSqs } = await import('../../bin/local/embedded-sqs.ts');
    const { drainQueue } = await import('../support/drain-queue.ts');
    const sqs = await startEmbeddedSqs();
    try {
      const queue = await sqs.createQueue(`cli-enqueue-${Date.now()}`);
      const urls = Array.from({ length: 45 }, (_, i) => `https://example.com/${i}`);

      const run = await runCli(['enqueue', '-', '--queue-url', queue.queueUrl, '--endpoint', sqs.endpoint, '--message-urls', '10'], {
        stdin: [...urls, 'nope'].join('\n'),
      });

      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ urls: 45, messages: 5, invalid: 1 });
      const bodies = await drainQueue(sqs.client, queue.queueUrl);
      expect(bodies.flatMap((body) => (JSON.parse(body) as { urls: string[] }).urls).sort()).toStrictEqual([...urls].sort());
    } finally {
      await sqs.stop();
    }
  });

  test('without --queue-url it is a usage error', async () => {
    const run = await runCli(['enqueue', '-']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('enqueue needs --queue-url');
  });
});
