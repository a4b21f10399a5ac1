// The suite's one-time preparation, run by `npm test` before Jest starts (never inside a test
// hook, where a slow build would outlast the hook's timeout and leave a half-started fixture):
//   1. the bundles in dist/ that the bundle and Lambda-runtime tests load (built once here, so no
//      test rebuilds dist/ while CLI children of other tests are loading its chunks);
//   2. aws-lambda-ric, compiled from its npm package (cmake and autotools, installed from Debian
//      when missing and this user may), cached under .tmp/ by what it depends on.
// Each step's output goes to .tmp/prepare.log; the runner prints it when a step fails.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RIC_DIR, RIC_STAMP, RIC_VERSION } from './lambda-ric-build.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOG = join(ROOT, '.tmp', 'prepare.log');
const BUILD_TOOLS = ['cmake', 'autoconf', 'automake', 'libtool', 'make', 'g++'];

function log(line: string): void {
  appendFileSync(LOG, `${line}\n`);
}

/** Runs a command with its output appended to the log (a failure throws with its exit status). */
function run(command: string, args: string[], options: ExecFileSyncOptions = {}): void {
  log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function runLogged(command: string, args: string[], options: ExecFileSyncOptions = {}): void {
  try {
    run(command, args, options);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; status?: number | null };
    log(failed.stdout ?? '');
    log(failed.stderr ?? '');
    throw new Error(`\`${command} ${args.join(' ')}\` failed (exit ${String(failed.status)})`, { cause: error });
  }
}

function missingTools(): string[] {
  return BUILD_TOOLS.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

function ensureBuildTools(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error(`building aws-lambda-ric needs ${missing.join(', ')}, which this machine lacks; `
      + 'install them (Debian/Ubuntu: apt-get install cmake autoconf automake libtool make g++) and run npm test again');
  }
  runLogged('apt-get', ['update', '-qq']);
  runLogged('apt-get', ['install', '-y', '-qq', 'cmake', 'autoconf', 'automake', 'libtool', 'make', 'g++'],
    { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function buildLambdaRic(): void {
  if (existsSync(RIC_STAMP)) {
    log(`aws-lambda-ric ${RIC_VERSION}: cached in ${RIC_DIR}`);
    return;
  }
  ensureBuildTools();
  rmSync(RIC_DIR, { recursive: true, force: true });
  mkdirSync(RIC_DIR, { recursive: true });
  writeFileSync(join(RIC_DIR, 'package.json'), JSON.stringify({ name: 'ric-build', private: true, allowScripts: { 'aws-lambda-ric': true } }));
  runLogged('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', `aws-lambda-ric@${RIC_VERSION}`], {
    cwd: RIC_DIR,
    // Built with the project's Node, whose headers match the runtime that loads the addon.
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  });
  writeFileSync(RIC_STAMP, `${new Date().toISOString()}\n`);
}

mkdirSync(dirname(LOG), { recursive: true });
writeFileSync(LOG, '');
const step = process.argv[2];
if (step === undefined || step === 'bundles') runLogged(process.execPath, [join(ROOT, 'infra', 'build.ts')]);
if (step === undefined || step === 'lambda-ric') buildLambdaRic();
