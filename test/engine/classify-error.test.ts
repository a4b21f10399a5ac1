import type { AddressInfo, Server } from 'node:net';
import { errors } from 'undici';
import { ErrorCode } from '../../lib/index.ts';
import { classifyError } from '../../lib/net/classify-error.ts';
import { closeEngines, localEngine } from '../support/engines.ts';
import { rawServer } from '../support/raw-server.ts';

/**
 * undici errors that only our own misuse of its API can raise (a handler returning the wrong
 * type, WebAssembly missing from the runtime, the bare base class): a bug, so INTERNAL is right.
 */
const OUR_BUGS = new Set(['InvalidReturnValueError', 'WebAssemblyNotSupportedError', 'UndiciError']);

/** Builds one instance of each error class undici exports, whatever its constructor wants. */
function instance(name: string, ErrorClass: new (...args: never[]) => Error): Error {
  if (name === 'RequestRetryError' || name === 'ResponseError') {
    return new (ErrorClass as unknown as new (m: string, s: number, o: object) => Error)('m', 503, { headers: {}, body: null });
  }
  if (name === 'HTTPParserError') return new (ErrorClass as unknown as new (m: string, c: string) => Error)('m', 'INVALID_STATUS');
  return new (ErrorClass as unknown as new (m: string) => Error)('m');
}

describe('every undici error maps to a documented code', () => {
  test.each(Object.entries(errors).filter(([name]) => !OUR_BUGS.has(name)))('%s is not INTERNAL', (name, ErrorClass) => {
    const classified = classifyError(instance(name, ErrorClass));

    expect(classified.code).not.toBe(ErrorCode.INTERNAL);
    expect(Object.values(ErrorCode)).toContain(classified.code);
  });
});

describe('what a server or an input can cause never ends INTERNAL', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    await closeEngines();
    servers.splice(0).forEach((server) => server.close());
  });

  async function serverReplying(reply: string): Promise<number> {
    const server = await rawServer(reply);
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  test.each(['099', '000'])('a status line `HTTP/1.1 %s` is a PROTOCOL_ERROR', async (status) => {
    const port = await serverReplying(`HTTP/1.1 ${status} Odd\r\nContent-Length: 2\r\n\r\nok`);

    const result = await localEngine({ retries: 0 }).fetch({ url: `http://127.0.0.1:${port}/` });

    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.PROTOCOL_ERROR } });
  });

  test('a content-length header that disagrees with the request body is an INVALID_REQUEST', async () => {
    const port = await serverReplying('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');

    const result = await localEngine({ retries: 0 }).fetch({
      url: `http://127.0.0.1:${port}/`, method: 'POST', headers: { 'content-length': '10' }, body: 'abc',
    });

    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_REQUEST } });
  });
});
