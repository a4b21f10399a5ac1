import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

/* `run --resume` after a stop (here --deadline; Ctrl-C and SIGTERM write the same ABORTED records). */
describe('run --resume after a stopped run', () => {
  let server: TestServer;
  let answering = false;

  beforeAll(async () => {
    server = await TestServer.start({
      '/ok': routes.text('hello'),
      // Never answers during the first run: the deadline stops it there.
      '/gate': (_req, res) => { if (answering) res.end('late'); },
    });
  });

  afterAll(async () => {
    await server.close();
  });

  test('fetches the URLs the stop wrote as ABORTED again and leaves one final record per line', async () => {
    const out = join(tempDir('batchfetch-resume-'), 'results.jsonl');
    const urls = [server.url('/ok?1'), server.url('/gate'), server.url('/ok?3')];
    const allow = ['--allow-network', '127.0.0.0/8'];

    const stopped = await runCli(['run', '-', ...allow, '--quiet', '--deadline', '1000', '--out', out], { stdin: urls.join('\n') });
    expect(stopped.code).toBe(0);
    const first = jsonLines(readFileSync(out, 'utf8')) as Array<{ line: number; error: { code: string } | null }>;
    const abortedLines = first.filter((record) => record.error?.code === 'ABORTED').map((record) => record.line).sort();
    expect(abortedLines).toContain(2);
    const gateHits = server.hitsOf('/gate');

    answering = true;
    const resumed = await runCli(['run', '-', ...allow, '--resume', out], { stdin: urls.join('\n') });

    expect(resumed.code).toBe(0);
    const done = 3 - abortedLines.length;
    expect(resumed.stderr).toContain(`resumed ${out}: ${done} ${done === 1 ? 'line' : 'lines'} already had their record; `
      + `${abortedLines.length} ABORTED ${abortedLines.length === 1 ? 'record' : 'records'} removed and fetched again`);
    expect(server.hitsOf('/gate') - gateHits).toBe(1);
    const records = jsonLines(readFileSync(out, 'utf8')) as Array<{ line: number; ok: boolean }>;
    expect(records.map((record) => record.line).sort()).toStrictEqual([1, 2, 3]);
    expect(records.every((record) => record.ok)).toBe(true);
  });
});
