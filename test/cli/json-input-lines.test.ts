import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';

/* Every field of a JSON input line is checked against the request schema: nothing is dropped silently. */
describe('JSON input lines through run', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok') });
  });

  afterAll(async () => {
    await server.close();
  });

  test('a wrong type and an unknown key are INVALID_REQUEST records naming the field, and nothing is sent', async () => {
    const url = server.url('/ok');
    const input = [
      JSON.stringify({ url: `${url}?headers`, headers: ['authorization: x'] }),
      JSON.stringify({ url: `${url}?methd`, methd: 'POST' }),
      JSON.stringify({ url: `${url}?fine`, method: 'GET', headers: { accept: 'text/plain' } }),
    ].join('\n');

    const run = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet'], { stdin: input });

    expect(run.code).toBe(0);
    const byLine = Object.fromEntries(jsonLines(run.stdout).map((record) => [record.line, record.error]));
    const fields = 'url, method, headers, body, id, okStatus, headFallback, line, attempts, previous';
    expect(byLine).toStrictEqual({
      1: { code: 'INVALID_REQUEST', message: 'headers: must be an object of header names to values, got an array' },
      2: { code: 'INVALID_REQUEST', message: `unknown field 'methd' (did you mean 'method'?): a request has ${fields}` },
      3: null,
    });
    expect(server.hitsOf('/ok')).toBe(1);
  });
});
