import { readFileSync } from 'node:fs';
import { startEmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { exited, firstLine, startLocalSqs } from '../support/cli-process.ts';

/** Local addresses (hex `ADDR:PORT` as in proc(5)) of the sockets listening on `port`. */
function listeningAddresses(port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      return [];
    }
  });
  return rows
    .map((row) => row.trim().split(/\s+/))
    // state 0A is LISTEN
    .filter((fields) => fields[1]?.endsWith(`:${portHex}`) && fields[3] === '0A')
    .map((fields) => fields[1]!);
}

describe('the embedded SQS-protocol server listens on loopback only', () => {
  test('the local run\'s embedded server is bound to 127.0.0.1, not to every interface', async () => {
    const sqs = await startEmbeddedSqs();
    try {
      const port = Number(new URL(sqs.endpoint).port);

      expect(listeningAddresses(port)).toStrictEqual([`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`]);
    } finally {
      await sqs.stop();
    }
  });

  test('batchfetch local-sqs listens on 127.0.0.1 by default', async () => {
    const child = startLocalSqs([]);
    const printed = JSON.parse(await firstLine(child)) as { endpoint: string };
    const port = Number(new URL(printed.endpoint).port);

    const addresses = listeningAddresses(port);
    child.kill('SIGTERM');
    await exited(child);

    expect(printed.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(addresses).toStrictEqual([`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`]);
  });
});
