import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { jsonLines, runCli } from '../support/run-cli.ts';

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

describe('batchfetch run: start-up failures end at once', () => {
  test('a missing FILE with a long --deadline exits 2 at once instead of waiting for the deadline', async () => {
    const run = await runCli(['run', '/nonexistent/urls.txt', '--deadline', '600000'], { timeoutMs: 15_000 });

    expect(run.code).toBe(2);
    // Waiting for the deadline would end in runCli's kill after 15 s: exit code null, not 2.
    expect(run.stderr).toContain('/nonexistent/urls.txt');
  });
});
