import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { routes, TestServer } from '../support/test-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Imports the bundle in a fresh Node process, as Lambda does, and calls its handler once. */
const DRIVER = `
const { handler } = await import(process.env.BUNDLE);
const deadline = Date.now() + 30000;
const context = { awsRequestId: 'req-1', functionName: 'fetch-batch', getRemainingTimeInMillis: () => deadline - Date.now() };
const response = await handler(JSON.parse(process.env.EVENT), context);
console.log('RESPONSE ' + JSON.stringify(response));
`;

function runBundle(event: unknown, env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  writeFileSync(join(dir, 'driver.mjs'), DRIVER);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'driver.mjs')], {
      env: { PATH: process.env.PATH, BUNDLE: join(ROOT, 'dist/fetch-batch/index.mjs'), EVENT: JSON.stringify(event), AWS_REGION: 'us-east-1', ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { stdout += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: stdout.split('\n').filter(Boolean) });
    });
  });
}

describe('the bundled fetch-batch function (dist/fetch-batch/index.mjs)', () => {
  let server: TestServer;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(ROOT, 'infra/build.ts')]);
  }, 60_000);

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/missing': routes.text('no', 404) });
  });

  afterEach(async () => {
    await server.close();
  });

  test('returns the right batchItemFailures and prints valid EMF metrics and result log lines', async () => {
    const bad = sqsRecord('{"urls": 42}');
    const event = sqsEvent(sqsRecord({ urls: [server.url('/ok'), server.url('/missing'), 'http://10.1.2.3/'] }), bad);

    const { code, lines } = await runBundle(event, {
      FETCH_ALLOW_NETWORKS: '127.0.0.0/8', FETCH_RETRIES: '0', POWERTOOLS_METRICS_NAMESPACE: 'Batchfetch', POWERTOOLS_SERVICE_NAME: 'fetch-batch',
    });

    expect(code).toBe(0);
    const response = lines.find((line) => line.startsWith('RESPONSE '));
    expect(JSON.parse(response!.slice('RESPONSE '.length))).toStrictEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const emf = json.filter((entry) => entry._aws !== undefined) as Array<Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } }>;
    expect(emf.length).toBeGreaterThanOrEqual(2);
    for (const entry of emf) {
      expect(entry._aws.CloudWatchMetrics[0]!.Namespace).toBe('Batchfetch');
      for (const metric of entry._aws.CloudWatchMetrics[0]!.Metrics) expect(entry).toHaveProperty([metric.Name]);
      for (const dimension of entry._aws.CloudWatchMetrics[0]!.Dimensions.flat()) expect(['service', 'ErrorCode']).toContain(dimension);
    }
    const main = emf.find((entry) => 'UrlsFetched' in entry)!;
    expect(main).toMatchObject({ UrlsFetched: 3, UrlsSucceeded: 1, UrlsFailed: 2, BlockedDestinations: 1, FailedRecords: 1, service: 'fetch-batch' });
    expect(main.FetchLatency).toHaveLength(3);
    const byCode = emf.filter((entry) => 'UrlsFailedByCode' in entry).map((entry) => [entry.ErrorCode, entry.UrlsFailedByCode]);
    expect(byCode.sort()).toStrictEqual([['BLOCKED_DESTINATION', 1], ['HTTP_STATUS', 1]]);
    const results = json.filter((entry) => entry.message === 'fetch result').map((entry) => entry.result as { url: string });
    expect(results.map((r) => r.url).sort()).toStrictEqual(['http://10.1.2.3/', server.url('/missing'), server.url('/ok')].sort());
    expect(json.some((entry) => entry.level === 'WARN' && entry.messageId === bad.messageId)).toBe(true);
  });
});
