import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonLines, runCli } from '../support/run-cli.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { tempDir } from '../support/temp-dir.ts';

/* A flag that cannot do what it says in this command line says so, instead of doing nothing silently. */
describe('flags that would do nothing', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok') });
  });

  afterAll(async () => {
    await server.close();
  });

  const allow = ['--allow-network', '127.0.0.0/8'];

  test('--ignore-in-body without hashing is a usage error naming what it needs; with --body hash or --since it runs', async () => {
    const earlier = join(tempDir('batchfetch-ignore-'), 'earlier.jsonl');
    writeFileSync(earlier, '');
    const [alone, discard, hashed, compared] = await Promise.all([
      runCli(['run', '-', ...allow, '--ignore-in-body', 'x'], { stdin: server.url('/ok') }),
      runCli(['run', '-', ...allow, '--ignore-in-body', 'x', '--body', 'discard'], { stdin: server.url('/ok') }),
      runCli(['run', '-', ...allow, '--quiet', '--ignore-in-body', 'x', '--body', 'hash'], { stdin: server.url('/ok') }),
      runCli(['run', '-', ...allow, '--quiet', '--ignore-in-body', 'x', '--since', earlier], { stdin: server.url('/ok') }),
    ]);

    const message = 'batchfetch: --ignore-in-body removes matches from hashed bodies: give --body hash (or keep), or --since FILE (a run that compares hashes every body)\n';
    expect([alone.code, alone.stdout, alone.stderr.split('\n')[0]! + '\n']).toStrictEqual([2, '', message]);
    expect([discard.code, discard.stderr.split('\n')[0]! + '\n']).toStrictEqual([2, message]);
    expect([hashed.code, compared.code]).toStrictEqual([0, 0]);
    expect(jsonLines(hashed.stdout)[0]).toHaveProperty('normalizedSha256');
  });

  test('--since given a URL list instead of records warns once that every URL will be new', async () => {
    const list = join(tempDir('batchfetch-since-list-'), 'urls.txt');
    writeFileSync(list, `${server.url('/ok?1')}\n${server.url('/ok?2')}\n\n`);

    const run = await runCli(['run', '-', ...allow, '--since', list], { stdin: `${server.url('/ok?1')}\n${server.url('/ok?2')}\n` });

    expect(run.code).toBe(0);
    const warning = `batchfetch: ${list} has no records: every URL will be \`new\``;
    expect(run.stderr.split('\n').filter((line) => line.includes('has no records'))).toStrictEqual([warning]);
    expect(jsonLines(run.stdout).map((record) => record.change)).toStrictEqual(['new', 'new']);
  });
});
