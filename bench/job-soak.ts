// `npm run soak:job`: a compared job under S3's latency tail and errors, with a worker killed.
// SOAK_URLS (20,000) pages in messages of SOAK_MESSAGE_URLS (25) on the loopback page server of bench:refetch; `local-sqs` with a proxy
// in front of it (test/support/s3-faults.ts) that delays 5 % of the record-object PUTs by 1–3 s and
// fails 1 % with a 500 (half before the write lands, half after: S3's 500s do not say which).
// Job 1 (the first of a schedule) runs clean; then 10 % of the pages change and 1 % break, and
// job 2 (compared with job 1) runs on two workers, one of them SIGKILLed twice and started again.
// Checked: one record per URL, the job's counts = the records = `_manifest.json` = `job changes`,
// and the job announced once. Prints the figures; exits 1 on any disagreement.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLI, startJobStack } from './job-stack.ts';

const URLS = Number(process.env.SOAK_URLS ?? 20_000);
const SEED = Number(process.env.SOAK_SEED ?? 29);
/** Small messages: more PUTs for the faults to fall on (800 at 20,000 URLs). */
const MESSAGE_URLS = Number(process.env.SOAK_MESSAGE_URLS ?? 25);

async function main(): Promise<number> {
  // A short visibility timeout: a killed worker's messages come back within seconds.
  const stack = await startJobStack({ pages: URLS, bodyBytes: 2048, visibilityTimeoutS: 8 });
  const { base, servers, proxy, connection, list, children } = stack;
  const cli = async (args: string[]) => (await stack.cli(args)).stdout;
  try {
    const workerArgs = ['worker', '--queue-url', servers.queues.jobs, ...connection, '--results-bucket', servers.resultsBucket,
      '--allow-network', '127.0.0.0/8', '--retries', '0', '--exit-when-empty', '--quiet', '--invocation-timeout', '4000'];
    const enqueue = (jobId: string) => cli(['enqueue', list, '--queue-url', servers.queues.jobs, ...connection, '--job-id', jobId,
      '--results-bucket', servers.resultsBucket, '--schedule', 'soak', '--message-urls', String(MESSAGE_URLS)]);

    await enqueue('soak-1');
    await cli(workerArgs);
    await fetch(`${base}/mutate?changed=10&broken=1`, { method: 'POST' });

    const chaos = proxy.chaos({ method: 'PUT', key: /\/results\/job=soak-2\/[^_][^/]*\.jsonl$/, delayShare: 0.05, delayMs: [1_000, 3_000], failShare: 0.01, seed: SEED });
    const started = performance.now();
    await enqueue('soak-2');
    const announcements: string[] = [];
    const worker = () => {
      const child = spawn(CLI, workerArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      child.stderr.on('data', (chunk: Buffer) => { for (const line of String(chunk).split('\n')) if (line.includes('job soak-2 ')) announcements.push(line); });
      return { child, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
    };
    const steady = worker();
    let kills = 0;
    let killed = worker();
    for (const afterMs of [2_500, 2_500]) {
      await sleep(afterMs);
      killed.child.kill('SIGKILL');
      kills += 1;
      await killed.exited;
      killed = worker();
    }
    await Promise.all([steady.exited, killed.exited]);
    // Messages a killed worker held come back after the visibility timeout: drain them.
    for (let round = 0; round < 10; round++) {
      const status = JSON.parse(await cli(['job', 'status', 'soak-2', '--json', ...connection])) as { status: string };
      if (status.status !== 'running') break;
      await sleep(9_000);
      await worker().exited;
    }
    const elapsedS = (performance.now() - started) / 1000;

    const summary = JSON.parse(await cli(['job', 'status', 'soak-2', '--json', ...connection])) as {
      status: string; total: number; done: number; counts: { ok: number; failed: number; byCode: Record<string, number> }; changes: Record<string, number>;
    };
    const records = (await cli(['job', 'results', 'soak-2', ...connection])).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { url: string; ok: boolean; change?: string; error: { code: string } | null });
    const changes = (await cli(['job', 'changes', 'soak-2', ...connection])).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { url: string; change: string });
    const s3 = new S3Client({ endpoint: servers.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const read = async (Key: string) => (await s3.send(new GetObjectCommand({ Bucket: servers.resultsBucket, Key }))).Body!.transformToString();
    const manifest = JSON.parse(await read('results/job=soak-2/_manifest.json')) as { resultObjects: { key: string }[] };
    let manifestLines = 0;
    for (const { key } of manifest.resultObjects) manifestLines += (await read(key)).split('\n').filter((line) => line !== '').length;
    s3.destroy();

    const urls = new Set(records.map((record) => record.url));
    const byChange = (list: { change?: string }[]) => {
      const counts: Record<string, number> = {};
      for (const item of list) if (item.change) counts[item.change] = (counts[item.change] ?? 0) + 1;
      return counts;
    };
    const recordChanges = byChange(records);
    const reported = byChange(changes);
    const checks: [string, boolean][] = [
      ['job completed', summary.status === 'completed'],
      ['one record per URL', records.length === URLS && urls.size === URLS],
      ['counts = records', summary.done === records.length && summary.counts.ok === records.filter((record) => record.ok).length],
      ['changes counted = changes in the records', Object.entries(recordChanges).every(([change, count]) => summary.changes[change] === count)],
      ['job changes = the reported classes of the records', ['new', 'changed', 'broke', 'recovered'].every((change) => (reported[change] ?? 0) === (recordChanges[change] ?? 0))],
      ['manifest = the records (its objects hold one line per URL)', manifestLines === URLS],
      ['announced once', announcements.filter((line) => line.includes('completed')).length === 1],
    ];
    const result = {
      date: new Date().toISOString().slice(0, 10), urls: URLS, messageUrls: MESSAGE_URLS, seed: SEED, elapsedS: Math.round(elapsedS), kills,
      s3Faults: chaos, summary: { status: summary.status, done: summary.done, ok: summary.counts.ok, byCode: summary.counts.byCode, changes: summary.changes },
      records: records.length, distinctUrls: urls.size, reportedChanges: reported, manifestObjects: manifest.resultObjects.length, manifestLines,
      announcements: announcements.length, checks: Object.fromEntries(checks),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return checks.every(([, passed]) => passed) ? 0 : 1;
  } finally {
    await stack.close();
  }
}

process.exitCode = await main();
