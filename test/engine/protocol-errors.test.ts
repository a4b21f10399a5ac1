import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { rawServer } from '../support/raw-server.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));


describe('protocol and TLS failures', () => {
  const servers: Array<{ close(): unknown }> = [];

  afterEach(async () => {
    await closeEngines();
    servers.splice(0).forEach((server) => server.close());
  });

  test('a self-signed certificate is a TLS_ERROR and is not retried', async () => {
    const https = createHttpsServer({ key: fixture('self-signed.key'), cert: fixture('self-signed.crt') }, (_req, res) => res.end('tls'));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    servers.push(https);

    const result = await localEngine({ retries: 3 }).fetch({ url: `https://127.0.0.1:${(https.address() as AddressInfo).port}/` });

    expect(result).toMatchObject({ ok: false, attempts: 1, error: { code: ErrorCode.TLS_ERROR } });
  });

  test('a response that is not HTTP is a PROTOCOL_ERROR', async () => {
    const server = await rawServer('SSH-2.0-OpenSSH_9.6\r\n\r\n');
    servers.push(server);

    const result = await localEngine({ retries: 0 }).fetch({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });

    expect(result.error?.code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('response headers beyond the size limit are a PROTOCOL_ERROR', async () => {
    const server = await rawServer(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
    servers.push(server);

    const result = await localEngine({ retries: 0 }).fetch({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });

    expect(result.error?.code).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test('a header value with a line break is an INVALID_REQUEST, never sent', async () => {
    const server = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    servers.push(server);

    const result = await localEngine().fetch({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      headers: { 'x-injected': 'a\r\nHost: evil' },
    });

    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST } });
  });

  test.each([
    [{ method: 'CONNECT' }, 'method must be an HTTP token such as GET (CONNECT is not supported)'],
    [{ method: 'GET /x' }, 'method must be an HTTP token such as GET (CONNECT is not supported)'],
    [{ headers: ['a'] }, 'headers must be an object of strings'],
    [{ headers: { a: 1 } }, 'header a must be a string'],
    [{ body: 42 }, 'body must be a string'],
  ])('rejects the malformed request %j', async (fields, message) => {
    const result = await localEngine().fetch({ url: 'http://127.0.0.1:9/', ...(fields as object) });

    expect(result).toMatchObject({ attempts: 0, error: { code: ErrorCode.INVALID_REQUEST, message } });
  });

  test('a host name that does not resolve is a DNS_FAILURE naming the host', async () => {
    const engine = localEngine({
      dnsResolve: async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND', hostname: 'nowhere.invalid' }); },
      retries: 2,
    });

    const result = await engine.fetch({ url: 'http://nowhere.invalid/' });

    expect(result).toMatchObject({ attempts: 1, error: { code: ErrorCode.DNS_FAILURE, message: 'host name did not resolve: nowhere.invalid (ENOTFOUND)' } });
  });
});
