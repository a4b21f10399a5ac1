import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, firstLine, startCli, startLocalSqs } from '../support/cli-process.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

/* The command line a person expects, driven as a person would: real child processes. */
describe('command-line conventions', () => {
  let server: TestServer;
  let dir: string;
  const seenHeaders: Array<Record<string, unknown>> = [];

  beforeEach(async () => {
    seenHeaders.length = 0;
    server = await TestServer.start({
      '/ok': routes.text('hello'),
      '/missing': routes.text('no', 404),
      '/echo': (req, res) => {
        seenHeaders.push(req.headers);
        res.end('echo');
      },
    });
    dir = tempDir('batchfetch-conventions-');
  });

  afterEach(async () => {
    await server.close();
  });

  const allow = ['--allow-network', '127.0.0.0/8'];

  test('--version prints the package version', async () => {
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain(`batchfetch ${packageJson.version}`);
  });

  test('help per command: `help run` and `run --help` print the same text; an unknown topic is a usage error', async () => {
    const [helpRun, runHelp, unknown] = await Promise.all([runCli(['help', 'run']), runCli(['run', '--help']), runCli(['help', 'fly'])]);
    expect(helpRun.code).toBe(0);
    expect(helpRun.stdout).toBe(runHelp.stdout);
    expect(helpRun.stdout).toContain('--fail-on-error');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no help for 'fly'");
  });

  test('a directory given as FILE is a usage error (exit 2)', async () => {
    const run = await runCli(['run', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot read ${dir}: it is a directory`);
  });

  test('a tab inside a URL line is an INVALID_URL record, not a silently different URL', async () => {
    const run = await runCli(['run', '-', ...allow, '--quiet'], { stdin: `${server.url('/ok')}\t?x=1\n` });
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toMatchObject([{ ok: false, error: { code: 'INVALID_URL', message: 'line 1 has a tab inside the URL' } }]);
  });

  test('each record names its input line (comments and blank lines counted, invalid lines included)', async () => {
    const run = await runCli(['run', '-', ...allow, '--quiet'], { stdin: `# list\n${server.url('/ok')}\n\nnot a url\n{"url":"${server.url('/missing')}","id":"m"}\n` });
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout).map((record) => [record.line, record.error === null ? 'OK' : (record.error as { code: string }).code]);
    expect(lines.sort()).toStrictEqual([[2, 'OK'], [4, 'INVALID_URL'], [5, 'HTTP_STATUS']]);
  });

  test('-H/--header and --user-agent are sent; FETCH_USER_AGENT is the default User-Agent', async () => {
    await runCli(['run', '-', ...allow, '--quiet', '-H', 'X-Token: abc', '--header', 'Accept: text/html', '--user-agent', 'crawler/2'], { stdin: server.url('/echo') });
    process.env.FETCH_USER_AGENT = 'from-env/1';
    try {
      await runCli(['run', '-', ...allow, '--quiet'], { stdin: server.url('/echo') });
    } finally {
      delete process.env.FETCH_USER_AGENT;
    }
    expect(seenHeaders[0]).toMatchObject({ 'x-token': 'abc', accept: 'text/html', 'user-agent': 'crawler/2' });
    expect(seenHeaders[1]).toMatchObject({ 'user-agent': 'from-env/1' });
    const bad = await runCli(['run', '-', '-H', 'no colon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--header expects 'Name: value', got 8 characters without a colon (not shown)");
  });

  test('--bodies-dir keeps each distinct body once, as a file named by its sha256, and records name it', async () => {
    server.route('/same-a', routes.text('same')).route('/same-b', routes.text('same'));
    const bodies = join(dir, 'bodies');
    const run = await runCli(['run', '-', ...allow, '--quiet', '--bodies-dir', bodies], {
      stdin: [server.url('/same-a'), server.url('/same-b'), server.url('/ok')].join('\n'),
    });
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout) as Array<{ sha256: string; bodyFile: string; body?: string }>;
    expect(records.every((record) => record.body === undefined && record.bodyFile === join(bodies, record.sha256))).toBe(true);
    expect(readdirSync(bodies).sort()).toStrictEqual([...new Set(records.map((record) => record.sha256))].sort());
    expect(readdirSync(bodies)).toHaveLength(2);
    expect(readFileSync(records[0]!.bodyFile, 'utf8')).toMatch(/same|hello/);
    const conflicting = await runCli(['run', '-', '--bodies-dir', bodies, '--body', 'hash']);
    expect(conflicting.code).toBe(2);
  });

  test('--resume FILE skips lines whose record FILE holds, drops a record cut short, and appends the rest', async () => {
    const out = join(dir, 'results.jsonl');
    const urls = [server.url('/ok?1'), server.url('/ok?2'), server.url('/ok?3')];
    const first = await runCli(['run', '-', ...allow, '--quiet', '--out', out], { stdin: urls.slice(0, 2).join('\n') });
    expect(first.code).toBe(0);
    // A run killed while writing leaves half a record behind.
    writeFileSync(out, `${readFileSync(out, 'utf8')}{"url":"${urls[2]}","line":3,"ok":tr`);
    const hitsBefore = server.hitsOf('/ok');

    const resumed = await runCli(['run', '-', ...allow, '--resume', out], { stdin: urls.join('\n') });

    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resumed ${out}: 2 lines already had their record`);
    expect(server.hitsOf('/ok') - hitsBefore).toBe(1);
    const records = jsonLines(readFileSync(out, 'utf8'));
    expect(records.map((record) => record.line).sort()).toStrictEqual([1, 2, 3]);
  });

  test('--fail-on-error exits 4 on any failure; --fail-on-error=P only above P %', async () => {
    const input = `${server.url('/ok')}\n${server.url('/missing')}\n`;
    const [any, lenient, strictOk] = await Promise.all([
      runCli(['run', '-', ...allow, '--quiet', '--fail-on-error'], { stdin: input }),
      runCli(['run', '-', ...allow, '--quiet', '--fail-on-error=60'], { stdin: input }),
      runCli(['run', '-', ...allow, '--quiet', '--fail-on-error'], { stdin: `${server.url('/ok')}\n` }),
    ]);
    expect([any.code, lenient.code, strictOk.code]).toStrictEqual([4, 0, 0]);
  });

  test('when every URL is a blocked destination, the summary says how to allow it', async () => {
    const run = await runCli(['run', '-'], { stdin: `${server.url('/ok')}\n` });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('hint: every URL was refused as a private, loopback or other blocked destination (BLOCKED_DESTINATION)');
    expect(run.stderr).toContain('--allow-network 127.0.0.0/8');
  });

  test('worker takes --quiet, --deadline and --summary-json; its warnings are plain lines, not Lambda JSON', async () => {
    const local = startLocalSqs(['--queue', 'w']);
    try {
      const { endpoint, queues } = JSON.parse(await firstLine(local)) as { endpoint: string; queues: { w: string } };
      await runCli(['enqueue', '-', '--queue-url', queues.w, '--endpoint', endpoint], { stdin: `${server.url('/ok')}\n` });
      const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
      const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
      await sqs.send(new SendMessageCommand({ QueueUrl: queues.w, MessageBody: 'not a batchfetch message' }));
      sqs.destroy();
      const summaryJson = join(dir, 'worker.json');

      const worker = startCli(['worker', '--queue-url', queues.w, '--endpoint', endpoint, ...allow, '--out', join(dir, 'out.jsonl'),
        '--deadline', '3000', '--summary-json', summaryJson]);
      const { code, stderr } = await exited(worker);

      expect(code).toBe(0);
      expect(stderr).toContain('batchfetch: message not acknowledged; SQS will deliver it again (messageId=');
      expect(stderr).toContain('reason=INVALID_MESSAGE, path=invalid, problem=message body is not valid JSON');
      expect(stderr).not.toContain('{"level"');
      expect(JSON.parse(readFileSync(summaryJson, 'utf8'))).toMatchObject({ urls: 1, ok: 1 });

      const quiet = await exited(startCli(['worker', '--queue-url', queues.w, '--endpoint', endpoint, '--quiet', '--deadline', '1500', '--out', join(dir, 'out2.jsonl')]));
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toContain('URLs in');
    } finally {
      local.kill('SIGKILL');
    }
  }, 30_000);
});
