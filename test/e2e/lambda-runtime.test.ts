import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FetchResult } from '../../lib/index.ts';
import { lambdaRicEntry } from '../harness/lambda-ric-build.ts';
import { spawnTracked } from '../support/children.ts';
import { RuntimeApi } from '../support/runtime-api.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { routes, TestServer } from '../support/test-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TASK_ROOT = join(ROOT, 'dist', 'fetch-batch');

describe('the bundled fetch-batch function under AWS\'s aws-lambda-ric, against a Runtime API server', () => {
  let api: RuntimeApi;
  let server: TestServer;
  let runtime: ChildProcess;
  let output = '';
  let exited: Promise<unknown>;

  // The runtime client and dist/ are built by `npm test`'s preparation step, before Jest starts.
  beforeAll(async () => {
    const ric = lambdaRicEntry();
    api = await RuntimeApi.start();
    server = await TestServer.start({ '/ok': routes.text('ok'), '/hang': routes.hang() });
    // Idle pooled sockets die during the pause between invocations, as after a Lambda freeze.
    server.server.keepAliveTimeout = 300;
    runtime = spawnTracked(process.execPath, [ric, 'index.handler'], {
      cwd: TASK_ROOT,
      env: {
        PATH: process.env.PATH,
        AWS_LAMBDA_RUNTIME_API: api.address,
        LAMBDA_TASK_ROOT: TASK_ROOT,
        _HANDLER: 'index.handler',
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: 'fetch-batch',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1769',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fetch-batch',
        AWS_LAMBDA_LOG_STREAM_NAME: 'local',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        FETCH_ALLOW_NETWORKS: '127.0.0.0/8',
        FETCH_RETRIES: '0',
        DEADLINE_MARGIN_MS: '1000',
        POWERTOOLS_METRICS_NAMESPACE: 'Batchfetch',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runtime.stdout!.on('data', (chunk: Buffer) => { output += String(chunk); });
    runtime.stderr!.on('data', (chunk: Buffer) => { output += String(chunk); });
    exited = new Promise((resolve) => runtime.once('exit', resolve));
  }, 30_000);

  /** Invokes through the Runtime API; fails at once (with the runtime's output) if the runtime dies. */
  const invoke = (event: unknown, timeoutMs: number) => Promise.race([
    api.invoke(event, timeoutMs),
    exited.then((code) => { throw new Error(`the runtime exited (${String(code)}):\n${output}`); }),
  ]);

  afterAll(async () => {
    runtime?.kill('SIGKILL');
    await api?.close();
    await server?.close();
  });

  test('cold then warm invocations on one process, with a pause that kills pooled sockets, and a deadline mid-batch', async () => {
    const bad = sqsRecord('{"urls": []}');
    const first = await invoke(sqsEvent(sqsRecord({ urls: [server.url('/ok?1'), server.url('/ok?2')] }), bad), 30_000);
    expect(first).toMatchObject({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: bad.messageId }] } });

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const connectionsBefore = server.connections;
    const second = await invoke(sqsEvent(sqsRecord({ urls: [server.url('/ok?3'), server.url('/ok?4')] })), 30_000);
    expect(second).toMatchObject({ ok: true, payload: { batchItemFailures: [] } });
    expect(server.connections).toBeGreaterThan(connectionsBefore);

    const cut = sqsRecord({ urls: [server.url('/ok?5'), server.url('/hang')] });
    const third = await invoke(sqsEvent(cut), 2_500);
    // No continuation queue here: the cut-off URL ends ABORTED (its sibling already has a record).
    // /hang never answers, so ABORTED (not TIMEOUT, not a hang) shows the invocation's deadline,
    // read from the Runtime API, cut it off.
    expect(third).toMatchObject({ ok: true, payload: { batchItemFailures: [] } });
    const records = output.split('\n').filter((line) => line.includes('"fetch result"')).map((line) => JSON.parse(line) as { result: FetchResult });
    expect(records.find((line) => line.result.url === server.url('/hang'))?.result.error?.code).toBe('ABORTED');

    const emf = output.split('\n').filter((line) => line.startsWith('{') && line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf.filter((entry) => 'ColdStart' in entry)).toHaveLength(1);
    expect(emf.filter((entry) => 'UrlsFetched' in entry).map((entry) => entry.UrlsFetched)).toStrictEqual([2, 2, 2]);
    expect(runtime.exitCode).toBeNull();
  }, 60_000);
});
