import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { TestServer } from '../support/test-server.ts';

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('batchfetch run: connection budget and TLS flags', () => {
  let https: Server;
  let url: string;

  beforeAll(async () => {
    https = createHttpsServer({ key: readFileSync(fixturePath('private-ca-leaf.key')), cert: readFileSync(fixturePath('private-ca-leaf.crt')) }, (_req, res) => res.end('ok'));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
  });

  afterAll(() => {
    https.close();
  });

  test('--ca-file trusts a private CA; without it the same URL is a TLS_ERROR', async () => {
    const withCa = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet', '--ca-file', fixturePath('private-ca.crt')], { stdin: `${url}\n` });
    const without = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet'], { stdin: `${url}\n` });

    expect(withCa.code).toBe(0);
    expect(jsonLines(withCa.stdout)).toMatchObject([{ url, ok: true, status: 200 }]);
    expect(jsonLines(without.stdout)).toMatchObject([{ url, ok: false, error: { code: 'TLS_ERROR' } }]);
  });

  test('an unreadable --ca-file is a usage error (exit 2) naming the flag and the file', async () => {
    const run = await runCli(['run', '-', '--ca-file', '/nonexistent/ca.pem'], { stdin: '' });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("batchfetch: --ca-file: cannot read '/nonexistent/ca.pem' (ENOENT)");
  });

  test('--concurrency above --max-sockets is a usage error naming both flags and both values', async () => {
    const run = await runCli(['run', '-', '--concurrency', '100', '--max-sockets', '50'], { stdin: '' });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("batchfetch: --concurrency expects an integer from 1 to 50 (every request in flight holds a socket, and the connection budget --max-sockets is 50), got '100'");
  });
});

describe('batchfetch run: a link check and a certificate watch', () => {
  let server: TestServer;
  let https: Server;
  let httpsUrl: string;

  beforeAll(async () => {
    server = await TestServer.start({
      '/ok': (_req, res) => {
        res.setHeader('server', 'test/1');
        res.end('fine');
      },
      '/moved': (_req, res) => {
        res.writeHead(301, { location: '/ok' });
        res.end();
      },
      '/gone': (_req, res) => {
        res.statusCode = 404;
        res.end();
      },
      '/no-head': (req, res) => {
        res.statusCode = req.method === 'HEAD' ? 405 : 200;
        res.end();
      },
    });
    https = createHttpsServer({ key: readFileSync(fixturePath('private-ca-leaf.key')), cert: readFileSync(fixturePath('private-ca-leaf.crt')) }, (_req, res) => res.end('ok'));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    https.close();
    await server.close();
  });

  test('HEAD with GET fallback, redirect chains, kept headers, timings, and a 404 accepted on one line', async () => {
    const lines = [server.url('/ok'), server.url('/moved'), server.url('/gone'), server.url('/no-head'), JSON.stringify({ url: server.url('/gone'), okStatus: '200,404' })];

    const run = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--quiet', '--method', 'HEAD', '--head-fallback', '--redirect-chain',
      '--keep-header', 'server', '--timings'], { stdin: `${lines.join('\n')}\n` });

    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout).sort((a, b) => Number(a.line) - Number(b.line));
    expect(records).toMatchObject([
      { line: 1, ok: true, status: 200, headers: { server: 'test/1' } },
      { line: 2, ok: true, status: 200, redirectChain: [{ url: server.url('/moved'), status: 301 }], finalUrl: server.url('/ok') },
      { line: 3, ok: false, status: 404, error: { code: 'HTTP_STATUS' } },
      { line: 4, ok: true, status: 200, headFallback: true },
      { line: 5, ok: true, status: 404 },
    ]);
    for (const record of records) expect(record.timings).toEqual(expect.objectContaining({ firstByte: expect.any(Number), total: expect.any(Number) }));
  });

  test('--tls-info puts the certificate in each HTTPS record and the soonest expiry in the summary', async () => {
    const run = await runCli(['run', '-', '--allow-network', '127.0.0.0/8', '--tls-info', '--ca-file', fixturePath('private-ca.crt')], { stdin: `${httpsUrl}\n` });

    expect(run.code).toBe(0);
    const [record] = jsonLines(run.stdout);
    expect(record).toMatchObject({ ok: true, tls: { issuer: 'batchfetch test CA', subject: 'localhost', resumed: false } });
    const daysLeft = (record!.tls as { daysLeft: number }).daysLeft;
    expect(run.stderr).toContain(`certificates: the soonest expires in ${daysLeft} days`);
  });

  test('a bad --ok-status or --accept-type is a usage error naming the flag', async () => {
    const status = await runCli(['run', '-', '--ok-status', '2xx'], { stdin: '' });
    const type = await runCli(['run', '-', '--accept-type', 'html'], { stdin: '' });

    expect(status.code).toBe(2);
    expect(status.stderr).toContain("--ok-status expects statuses from 100 to 999 and ranges such as 200-399, separated by commas; '2xx' is not one, got '2xx'");
    expect(type.code).toBe(2);
    expect(type.stderr).toContain("--accept-type expects media types such as text/html or image/*; 'html' is not one");
  });
});

describe('batchfetch run: start-up failures end at once', () => {
  test('a missing FILE with a long --deadline exits 2 at once instead of waiting for the deadline', async () => {
    const run = await runCli(['run', '/nonexistent/urls.txt', '--deadline', '600000'], { timeoutMs: 15_000 });

    expect(run.code).toBe(2);
    // Waiting for the deadline would end in runCli's kill after 15 s: exit code null, not 2.
    expect(run.stderr).toContain('/nonexistent/urls.txt');
  });
});
