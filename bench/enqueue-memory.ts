// `npm run bench:enqueue-memory`: the enqueuer's memory does not grow with the list. `batchfetch
// enqueue` (a real child process, under GNU time) sends lists of BENCH_SIZES URLs (1,000,000 and
// 10,000,000) over BENCH_ORIGINS origins (100,000), in shuffled order, to `local-sqs`: plain, and
// compared with an earlier job (`--since-job`) whose records (one per URL, with a sha256 and an
// ETag) are written to local-sqs's S3 beforehand. Both paths spill to disk past a bound: the
// grouping by origin (lib/queue/group-by-origin.ts) and the join with the earlier records
// (lib/enqueue/join-earlier.ts). Reports peak RSS, CPU and wall time per run, and the peak bytes
// of its temporary files: each run gets a fresh, empty TMPDIR whose files are summed every 100 ms
// (the enqueue function has 4 GiB of /tmp: infra/batch-fetcher.ts). BENCH_MODES (`plain,compared`)
// picks the runs, BENCH_MESSAGE_URLS (100) the URLs per message. Nothing is fetched. Results go to
// bench/results/enqueue-memory.md.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLine } from './first-line.ts';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JobStore } from '../lib/jobs/job-store.ts';
import { aptInstall } from './nginx.ts';
import { sampleDirBytes } from './dir-bytes-sampler.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/batchfetch.js');
const SIZES = (process.env.BENCH_SIZES ?? '1000000,10000000').split(',').map(Number);
const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 100_000);
const MODES = (process.env.BENCH_MODES ?? 'plain,compared').split(',').map((mode) => mode === 'compared');
/** URLs per message, given to `enqueue` (the figures in docs/benchmarks.md were measured at 100). */
const MESSAGE_URLS = Number(process.env.BENCH_MESSAGE_URLS ?? 100);
const MIB = 1024 * 1024;
/** Records per synthetic object of the earlier job (a message's object holds 100 at the default message size). */
const RECORDS_PER_OBJECT = 20_000;

const urlOf = (i: number) => `http://o${i % ORIGINS}.batchfetch.test/p/${i}`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Writes `count` URLs in a shuffled order (a stride through the list, coprime with it), streaming. */
async function writeList(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  // A prime stride: n * stride mod count visits every index once (count is no multiple of it), and
  // consecutive lines land far apart, on different origins.
  const stride = 7_919;
  let chunk = '';
  for (let n = 0; n < count; n++) {
    chunk += `${urlOf((n * stride) % count)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** An earlier, finished job whose records cover every URL of the list: the state a comparison reads. */
async function writeEarlierJob(s3: S3Client, store: JobStore, bucket: string, jobId: string, count: number): Promise<void> {
  await store.create({ jobId, results: `s3://${bucket}/results/job=${jobId}/` });
  // No shards: enqueued with nothing, the job completes at once (only its records matter here).
  await store.enqueued(jobId, { total: 0, messages: 0, invalid: 0, shards: 0 });
  const sha = 'ab'.repeat(32);
  for (let start = 0, key = 0; start < count; start += RECORDS_PER_OBJECT, key++) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(count, start + RECORDS_PER_OBJECT); i++) {
      lines.push(`{"url":"${urlOf(i)}","ok":true,"status":200,"attempts":1,"redirects":0,"latencyMs":1,"bytes":1024,"etag":"\\"v${i}\\"","sha256":"${sha}","error":null}`);
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `results/job=${jobId}/${key}.jsonl`, Body: `${lines.join('\n')}\n` }));
  }
}

/** Runs a command under GNU time with `tmp` as its TMPDIR: peak RSS (MB), CPU and wall seconds. */
function timed(command: string[], tmp: string): Promise<{ rssMb: number; cpuS: number; wallS: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %M %U %S %e', ...command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk); });
    child.once('error', reject);
    child.once('exit', (code) => {
      const match = /TIME (\d+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (code !== 0 || !match) {
        reject(new Error(`${command.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ rssMb: Math.round(Number(match[1]) / 1024), cpuS: Number(match[2]) + Number(match[3]), wallS: Number(match[4]), stderr });
    });
  });
}

async function main(): Promise<void> {
  aptInstall(['time'], () => !existsSync('/usr/bin/time'));
  const dir = join(tmpdir(), `batchfetch-enqueue-memory-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const local = spawn(CLI, ['local-sqs', '--port', '0', '--dynamodb-port', '0', '--queue', 'setup'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rows: string[] = [];
  try {
    const servers = JSON.parse(await firstLine(local)) as { endpoint: string; dynamodbEndpoint: string; jobsTable: string; resultsBucket: string };
    const s3 = new S3Client({ endpoint: servers.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    const sqs = new SQSClient({ endpoint: servers.endpoint, region: 'us-east-1', credentials });
    const dynamodb = new DynamoDBClient({ endpoint: servers.dynamodbEndpoint, region: 'us-east-1', credentials });
    const store = new JobStore(dynamodb, servers.jobsTable);
    const connection = ['--endpoint', servers.endpoint, '--dynamodb-endpoint', servers.dynamodbEndpoint, '--results-bucket', servers.resultsBucket];
    for (const size of SIZES) {
      const list = join(dir, `urls-${size}.txt`);
      await writeList(list, size);
      await writeEarlierJob(s3, store, servers.resultsBucket, `earlier-${size}`, size);
      for (const compared of MODES) {
        // A queue per run, so one run's messages do not sit in the next one's way.
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `q-${size}-${compared ? 'c' : 'p'}` }));
        const tmp = join(dir, `tmp-${size}-${compared ? 'c' : 'p'}`);
        mkdirSync(tmp);
        const disk = sampleDirBytes(tmp);
        const run = await timed([CLI, 'enqueue', list, '--queue-url', QueueUrl!, ...connection, '--message-urls', String(MESSAGE_URLS), '--job-id', `later-${size}-${compared ? 'c' : 'p'}`,
          ...(compared ? ['--since-job', `earlier-${size}`] : [])], tmp);
        const { peakBytes, lastBytes } = await disk.stop();
        // Every spill file is removed by the run that made it.
        if (lastBytes > 0) console.error(`warning: ${lastBytes} bytes left in ${tmp} after the run`);
        rmSync(tmp, { recursive: true, force: true });
        const row = `| ${size.toLocaleString('en')} | ${compared ? `compared (--since-job, ${size.toLocaleString('en')} earlier records)` : 'plain'} | ${run.rssMb} | ${Math.round(peakBytes / MIB)} | ${(peakBytes / size).toFixed(0)} | ${((run.cpuS * 1e6) / size).toFixed(1)} | ${run.wallS.toFixed(1)} |`;
        console.log(row);
        rows.push(row);
      }
      rmSync(list, { force: true });
    }
    s3.destroy();
    sqs.destroy();
    dynamodb.destroy();
  } finally {
    local.kill('SIGTERM');
    // local-sqs stops its servers on SIGTERM; one that does not within 5 s is killed.
    const killer = setTimeout(() => local.kill('SIGKILL'), 5_000);
    if (local.exitCode === null && local.signalCode === null) await once(local, 'exit');
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  }
  const text = [
    `Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; shuffled lists over ${ORIGINS.toLocaleString('en')} origins, ${MESSAGE_URLS} URLs per message, local-sqs on the same machine; temp disk sampled every 100 ms.`,
    '',
    '| URLs | enqueue | peak RSS MB | peak temp disk MiB | temp bytes/URL | CPU µs/URL | wall s |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/enqueue-memory.md'), text);
  console.log(`\n${text}`);
}

await main();
