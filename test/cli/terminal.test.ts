import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEnv } from '../support/bundles.ts';
import { eventually } from '../support/eventually.ts';
import { routes, TestServer } from '../support/test-server.ts';
import { spawnTracked } from '../support/children.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `command` in a real pseudo-terminal (util-linux `script`), as a person at a terminal
 * would; `keys` are typed into it. Resolves with what the terminal showed and the exit status.
 */
function inTerminal(command: string) {
  const child = spawnTracked('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...cliEnv(), TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout!.on('data', (chunk: Buffer) => { screen += String(chunk); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { screen: () => screen, type: (keys: string) => child.stdin!.write(keys), exited, kill: () => child.kill('SIGKILL') };
}

describe('in a real terminal', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await TestServer.start({ '/ok': routes.text('ok'), '/hang': routes.hang() });
  });

  afterEach(async () => {
    await server.close();
  });

  test('npx batchfetch run shows per-URL progress with rate and ETA; Ctrl-C ends it with exit 130, a record per URL and the summary', async () => {
    const file = join(tempDir('tty-'), 'urls.txt');
    writeFileSync(file, `${server.url('/ok')}\n${server.url('/hang')}\n`);
    const terminal = inTerminal(`npx --no-install batchfetch run ${file} --allow-network 127.0.0.0/8`);
    try {
      // The progress line counts URLs as they finish (1 of 2 before the hanging one).
      expect(await eventually(() => /\[#+\.+\] 1\/2 URLs {2}[\d.]+\/s {2}ETA \d+s {2}errors 0/.test(terminal.screen()), 30_000)).toBe(true);
      terminal.type('\x03');

      expect(await terminal.exited).toBe(130);
      const screen = terminal.screen();
      expect(screen).toContain('"error":{"code":"ABORTED"');
      expect(screen).toMatch(/batchfetch: 2 URLs in [\d.]+ s/);
    } finally {
      terminal.kill();
    }
  }, 60_000);
});
