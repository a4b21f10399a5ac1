import { fileURLToPath } from 'node:url';
import { cliEnv } from '../support/bundles.ts';
import { spawnTracked } from '../support/children.ts';
import { runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';

const CLI = fileURLToPath(new URL('../../bin/batchfetch.js', import.meta.url));

/** The CLI under `ulimit -n LIMIT`, as on Lambda (1,024 descriptors); its exit code and stderr. */
async function underDescriptorLimit(limit: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnTracked('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, CLI, ...args], { env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += String(chunk); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

/* What a new user reads when a command line goes wrong: each message names the mistake and the fix. */
describe('messages of the command line', () => {
  const firstLine = (text: string) => text.split('\n')[0];

  test.each([
    [['run', '-', '--concurency', '8'], "batchfetch: unknown option '--concurency' (did you mean --concurrency?)"],
    [['worker', '--queue-url', 'q', '--exit-when-emtpy'], "batchfetch: unknown option '--exit-when-emtpy' (did you mean --exit-when-empty?)"],
    [['enqueue', '-', '--queue-ulr', 'q'], "batchfetch: unknown option '--queue-ulr' (did you mean --queue-url?)"],
    [['jobs', '--jsn'], "batchfetch: unknown option '--jsn' (did you mean --json?)"],
    [['run', '-', '--zzzzzzzz'], "batchfetch: unknown option '--zzzzzzzz'"],
    [['run', 'urls.txt', '--fail-on-error', '70'],
      "batchfetch: --fail-on-error takes its percentage after '=': --fail-on-error=70 (bare --fail-on-error: any failure), got '--fail-on-error 70'"],
    [['enqueue', '-', '--queue-url', 'http://sqs.us-east-1.127.0.0.1:4566/000000000000/jobs'],
      'batchfetch: --queue-url http://sqs.us-east-1.127.0.0.1:4566/000000000000/jobs is a queue on this machine: pass --endpoint too '
      + '(the endpoint batchfetch local-sqs printed, e.g. --endpoint http://127.0.0.1:4566)'],
  ])('%j is a usage error (exit 2): %s', async (args, message) => {
    const run = await runCli(args, { stdin: '' });
    expect([run.code, firstLine(run.stderr)]).toStrictEqual([2, message]);
  });

  test('`job --help` prints the job usage, as `job status --help` does; the general usage names job changes', async () => {
    const [jobHelp, statusHelp, help] = await Promise.all([runCli(['job', '--help']), runCli(['job', 'status', '--help']), runCli(['--help'])]);
    expect([jobHelp.code, jobHelp.stdout]).toStrictEqual([0, statusHelp.stdout]);
    expect(jobHelp.stdout).toContain('batchfetch job changes ID');
    expect(help.stdout).toContain('batchfetch job status|wait|results|changes|redrive ID');
  });

  test('one URL is "1 URL" in the summary', async () => {
    const server = await TestServer.start({ '/ok': routes.text('ok') });
    try {
      const run = await runCli(['run', '-', '--allow-network', '127.0.0.0/8'], { stdin: server.url('/ok') });
      expect(run.stderr).toMatch(/^batchfetch: 1 URL in \d+\.\d\d s/m);
    } finally {
      await server.close();
    }
  });

  test('--concurrency above the connection budget names the real limit under 1,024 descriptors', async () => {
    const run = await underDescriptorLimit(1024, ['run', '-', '--concurrency', '5000']);
    expect([run.code, firstLine(run.stderr)]).toStrictEqual([2, 'batchfetch: --concurrency expects an integer from 1 to 896 (every request in flight holds a socket, '
      + "and the connection budget --max-sockets is 896: the open-file limit 1024 less a reserve), got '5000'"]);
  });
});
