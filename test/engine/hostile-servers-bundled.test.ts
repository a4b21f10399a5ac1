import type { ResultError } from '../../lib/index.ts';
import { runFetchBatchBundle } from '../support/bundles.ts';
import { closeEngines, fetchAllOf, localEngine } from '../support/engines.ts';
import { HOSTILE_OUTCOMES, HOSTILE_ROUTES } from '../support/hostile-routes.ts';
import { HostileServer } from '../support/hostile-server.ts';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';

/*
 * The hostile servers of hostile-servers.test.ts met by what ships: the CLI bundle (what `npx
 * batchfetch` runs) and the fetch-batch bundle (what Lambda runs) must end every URL as the
 * TypeScript sources do, with the same code and message. A status line `HTTP/1.1 099` once ended
 * PROTOCOL_ERROR from the sources and INTERNAL from both bundles.
 */

/** The same options three ways: no retries, a short URL limit (the stalling routes), a connection per route. */
const ENGINE = { retries: 0, urlTimeoutMs: 1_000, perOrigin: 32 } as const;
const CLI_FLAGS = ['--allow-network', '127.0.0.0/8', '--retries', '0', '--url-timeout', '1000', '--per-origin', '32', '--quiet'];
const FUNCTION_ENV = { FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', FETCH_URL_TIMEOUT_MS: '1000', FETCH_PER_ORIGIN: '32' };

type Ending = ResultError | null;

/** Each record's error (null when OK) by its URL's path. */
function endingsByPath(records: ReadonlyArray<{ url: string; error: Ending }>): Record<string, Ending> {
  return Object.fromEntries(records.map((record) => [new URL(record.url).pathname, record.error]));
}

describe('hostile servers end every URL the same in the sources and in the bundles that ship', () => {
  let hostile: HostileServer;
  let urls: string[];
  /** What the TypeScript sources (the engine in this process) make of each route. */
  let fromSources: Record<string, Ending>;

  beforeAll(async () => {
    hostile = await HostileServer.start(HOSTILE_ROUTES);
    urls = Object.keys(HOSTILE_ROUTES).map((path) => hostile.url(path));
    fromSources = endingsByPath(await fetchAllOf(localEngine(ENGINE), urls.map((url) => ({ url }))));
    await closeEngines();
  });

  afterAll(async () => {
    await closeEngines();
    await hostile.close();
  });

  test('the sources end each route as the table says', () => {
    const codes = Object.fromEntries(Object.entries(fromSources).map(([path, error]) => [path, error?.code ?? 'OK']));

    expect(codes).toStrictEqual(HOSTILE_OUTCOMES);
  });

  test('the CLI bundle (batchfetch run) ends each URL as the sources do', async () => {
    const run = await runCli(['run', '-', ...CLI_FLAGS], { stdin: `${urls.join('\n')}\n` });

    expect(run.code).toBe(0);
    expect(endingsByPath(jsonLines(run.stdout) as unknown as Array<{ url: string; error: Ending }>)).toStrictEqual(fromSources);
  });

  test('the fetch-batch bundle ends each URL as the sources do', async () => {
    const { code, lines } = await runFetchBatchBundle(sqsEvent(sqsRecord({ urls })), FUNCTION_ENV);

    expect(code).toBe(0);
    const results = lines.filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message?: string; result?: { url: string; error: Ending } })
      .filter((entry) => entry.message === 'fetch result')
      .map((entry) => entry.result!);
    expect(endingsByPath(results)).toStrictEqual(fromSources);
  });
});
