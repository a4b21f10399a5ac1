import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ErrorCode } from '../../lib/index.ts';
import { closeEngines, localEngine } from '../support/engines.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const privateCa = fixture('private-ca.crt');
/** Host names are mapped to loopback by the engine's resolver hook; the leaf is for *.batchfetch.test. */
const loopbackResolver = async () => [{ address: '127.0.0.1', family: 4 }];

/** An HTTPS server on 127.0.0.1 with a certificate for localhost and *.batchfetch.test, issued by the private CA. */
async function privateCaServer(): Promise<{ server: Server; port: number; resumed: boolean[] }> {
  const resumed: boolean[] = [];
  const server = createHttpsServer({ key: fixture('private-ca-leaf.key'), cert: fixture('private-ca-leaf.crt') }, (req, res) => {
    resumed.push((req.socket as TLSSocket).isSessionReused());
    // A fresh connection for every request, so each one negotiates TLS.
    res.setHeader('connection', 'close');
    res.end('secret');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, resumed };
}

describe('TLS: a private CA and session resumption', () => {
  let https: Awaited<ReturnType<typeof privateCaServer>>;

  beforeEach(async () => {
    https = await privateCaServer();
  });

  afterEach(async () => {
    await closeEngines();
    https.server.close();
  });

  test('a certificate from a private CA fails verification unless that CA is given with `ca`', async () => {
    const url = `https://a.batchfetch.test:${https.port}/`;

    const untrusted = await localEngine({ dnsResolve: loopbackResolver }).fetch({ url });
    const trusted = await localEngine({ dnsResolve: loopbackResolver, ca: privateCa }).fetch({ url });

    expect(untrusted).toMatchObject({ ok: false, error: { code: ErrorCode.TLS_ERROR } });
    expect(trusted).toMatchObject({ ok: true, status: 200, bytes: 6 });
  });

  test('`ca` adds a root, it does not switch verification off: a wrong host name still fails', async () => {
    const engine = localEngine({ dnsResolve: loopbackResolver, ca: privateCa });

    const wrongName = await engine.fetch({ url: `https://wrong.example.com:${https.port}/` });

    expect(wrongName).toMatchObject({ ok: false, attempts: 1, error: { code: ErrorCode.TLS_ERROR } });
  });

  test('`ca` that is not PEM is refused when the engine is created', () => {
    expect(() => localEngine({ ca: 'not a certificate' })).toThrow('Expected `ca` to be PEM text with at least one certificate');
  });

  test('reconnections to an origin resume the TLS session', async () => {
    const engine = localEngine({ dnsResolve: loopbackResolver, ca: privateCa, concurrency: 1 });

    for (let i = 0; i < 6; i += 1) {
      expect(await engine.fetch({ url: `https://a.batchfetch.test:${https.port}/${i}` })).toMatchObject({ ok: true });
    }

    expect(https.resumed).toHaveLength(6);
    expect(https.resumed[0]).toBe(false);
    expect(https.resumed.slice(1)).toStrictEqual([true, true, true, true, true]);
  });
});
