import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

/*
 * No message echoes what a file holds: a file given to the wrong flag (a private key as --ca-file,
 * a credentials file as --since) must not end up on stderr and in CI logs. Each file-taking flag of
 * run, enqueue and worker gets each of three files; stderr may name the file, never its lines.
 */
describe('messages never echo file contents', () => {
  const dir = tempDir('batchfetch-secrets-');
  const secrets = {
    key: readFileSync(new URL('../fixtures/self-signed.key', import.meta.url), 'utf8'),
    credentials: '[default]\naws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = s3cr3tK3yV4lu3xxxxxxxxxxxxxxxxxxxxxxxxxx\n',
    urls: 'https://intranet.example/private/report-2026-q3\nhttps://intranet.example/private/salaries.csv\n',
  };
  for (const [name, text] of Object.entries(secrets)) writeFileSync(join(dir, name), text);
  // Nowhere to connect to: enqueue and worker fail fast, after reading their flags.
  const nowhere = ['--queue-url', 'http://127.0.0.1:9/000000000000/q', '--endpoint', 'http://127.0.0.1:9', '--region', 'us-east-1'];
  const quick = ['--allow-network', '127.0.0.0/8', '--retries', '0'];

  /** Each command line, given FILE (a fresh copy of a secret file, so output flags cannot change the others). */
  const commandLines: Record<string, (file: string) => string[]> = {
    'run FILE': (file) => ['run', file, ...quick],
    'run --ca-file': (file) => ['run', '-', '--ca-file', file],
    'run --since': (file) => ['run', '-', ...quick, '--since', file],
    'run --since --changes': (file) => ['run', '-', ...quick, '--since', join(dir, 'urls'), '--changes', file],
    'run --resume': (file) => ['run', '-', ...quick, '--resume', file],
    'run --out': (file) => ['run', '-', ...quick, '--out', file],
    'run --summary-json': (file) => ['run', '-', ...quick, '--summary-json', file],
    'run --bodies-dir': (file) => ['run', '-', ...quick, '--bodies-dir', file],
    'enqueue FILE': (file) => ['enqueue', file, ...nowhere],
    'worker --ca-file': (file) => ['worker', ...nowhere, '--ca-file', file],
    'worker --out': (file) => ['worker', ...nowhere, '--out', file],
    'worker --summary-json': (file) => ['worker', ...nowhere, '--summary-json', file],
    'worker --bodies-dir': (file) => ['worker', ...nowhere, '--bodies-dir', file],
  };

  /** The lines of a secret worth finding: long enough not to be a word of a message. */
  const linesOf = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line.length >= 12);

  const cases = Object.keys(commandLines).flatMap((command) => Object.keys(secrets).map((secret) => [command, secret] as const));
  test.each(cases)('%s given the %s file: stderr shows none of its lines', async (command, secret) => {
    const file = join(tempDir('batchfetch-secret-copy-'), secret);
    copyFileSync(join(dir, secret), file);
    const run = await runCli(commandLines[command]!(file), { stdin: 'http://127.0.0.1:9/\n', timeoutMs: 30_000 });
    const shown = linesOf(secrets[secret as keyof typeof secrets]).filter((line) => run.stderr.includes(line));
    expect({ command, secret, shown }).toStrictEqual({ command, secret, shown: [] });
  });

  test.each([
    ['run', '-H'], ['worker', '-H'], ['run', '--user-agent'], ['worker', '--user-agent'],
  ])('%s %s refused: the message names the flag, not the value', async (command, flag) => {
    const token = 'Bearer eyJhbGciOiJIUzI1NiJ9.s3cr3t-t0k3n';
    const value = flag === '-H' ? `Authorization ${token}` : `crawler/1\r\nAuthorization: ${token}`;
    const run = await runCli([command, ...(command === 'worker' ? nowhere : ['-']), flag, value], { stdin: 'http://127.0.0.1:9/\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(flag === '-H' ? '--header expects' : '--user-agent expects');
    expect(run.stderr).not.toContain('s3cr3t');
  });
});
