import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RIC_VERSION = '4.0.2';
const RIC_DIR = join(ROOT, '.tmp', `aws-lambda-ric-${RIC_VERSION}`);

/**
 * AWS's own Lambda runtime interface client, built once from its npm package into .tmp/ (about
 * 45 s: it compiles curl and aws-lambda-cpp, which needs cmake; installed from Debian if missing).
 * Returns the path of its entry point.
 */
function ensureLambdaRic(): string {
  const entry = join(RIC_DIR, 'node_modules', 'aws-lambda-ric', 'index.mjs');
  const addon = join(RIC_DIR, 'node_modules', 'aws-lambda-ric', 'rapid-client.node');
  if (existsSync(entry) && existsSync(addon)) return entry;
  const hasCmake = () => {
    try {
      execFileSync('cmake', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!hasCmake()) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'cmake', 'autoconf', 'automake', 'libtool'], { stdio: 'ignore' });
  }
  mkdirSync(RIC_DIR, { recursive: true });
  writeFileSync(join(RIC_DIR, 'package.json'), JSON.stringify({ name: 'ric-build', private: true, allowScripts: { 'aws-lambda-ric': true } }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', `aws-lambda-ric@${RIC_VERSION}`], {
    cwd: RIC_DIR,
    stdio: 'ignore',
    // Build with the project's Node (its headers match the runtime that loads the addon).
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  return entry;
}

export { ensureLambdaRic };
