import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';

/* A body over --max-bytes: the server answered, so the record says with what (records.md: null means no response). */
describe('BODY_TOO_LARGE records', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      '/declared': routes.text('x'.repeat(100), 200, { 'content-type': 'text/html; charset=utf-8' }),
      '/streamed': routes.stream(200_000),
    });
  });

  afterAll(async () => {
    await server.close();
  });

  test('carry the status and content type of the response, whether its length was declared or counted', async () => {
    const run = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet', '--max-bytes', '50'], {
      stdin: `${server.url('/declared')}\n${server.url('/streamed')}\n`,
    });

    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout).sort((a, b) => Number(a.line) - Number(b.line));
    expect(records.map(({ line, ok, status, contentType, error }) => ({ line, ok, status, contentType, error }))).toStrictEqual([
      { line: 1, ok: false, status: 200, contentType: 'text/html; charset=utf-8', error: { code: 'BODY_TOO_LARGE', message: 'response body exceeds 50 bytes' } },
      { line: 2, ok: false, status: 200, contentType: 'application/octet-stream', error: { code: 'BODY_TOO_LARGE', message: 'response body exceeds 50 bytes' } },
    ]);
  });
});
