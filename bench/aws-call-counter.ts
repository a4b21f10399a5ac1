// A counting HTTP proxy in front of `batchfetch local-sqs` (SQS and S3 on one endpoint, DynamoDB on
// another) for the job benchmarks: every AWS API call a process makes is forwarded unchanged and
// tallied by service and operation, with the bytes each way (SQS bills a request per 64 KiB of
// payload). One proxy per role (enqueuer, workers) attributes each call to who made it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

interface CallTally {
  count: number;
  /** Requests as SQS bills them: one per started 64 KiB of request or response payload. */
  billed: number;
  bytesIn: number;
  bytesOut: number;
}

/** The operation an AWS SDK request calls: the JSON protocols' X-Amz-Target, else S3's REST shape. */
function operationOf(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const [service, operation] = target.split('.');
    return `${service?.startsWith('AmazonSQS') ? 'SQS' : 'DynamoDB'} ${operation}`;
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const query = url.searchParams;
  if (req.method === 'GET' && query.has('list-type')) return 'S3 ListObjectsV2';
  if (req.method === 'POST' && query.has('uploads')) return 'S3 CreateMultipartUpload';
  if (req.method === 'PUT' && query.has('partNumber')) return 'S3 UploadPart';
  if (req.method === 'POST' && query.has('uploadId')) return 'S3 CompleteMultipartUpload';
  if (req.method === 'DELETE' && query.has('uploadId')) return 'S3 AbortMultipartUpload';
  return `S3 ${{ GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject', HEAD: 'HeadObject' }[req.method ?? ''] ?? req.method}`;
}

class AwsCallCounter {
  readonly calls = new Map<string, CallTally>();
  readonly #server: Server;

  private constructor(target: URL) {
    this.#server = createServer((req, res) => {
      const operation = operationOf(req);
      let bytesIn = 0;
      let bytesOut = 0;
      const upstream = httpRequest({
        host: target.hostname, port: target.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: target.host },
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => { bytesOut += chunk.length; });
        answer.pipe(res);
        answer.on('end', () => {
          const tally = this.calls.get(operation) ?? { count: 0, billed: 0, bytesIn: 0, bytesOut: 0 };
          tally.count += 1;
          tally.billed += Math.max(1, Math.ceil(Math.max(bytesIn, bytesOut) / 65_536));
          tally.bytesIn += bytesIn;
          tally.bytesOut += bytesOut;
          this.calls.set(operation, tally);
        });
      });
      upstream.on('error', () => res.destroy());
      req.on('data', (chunk: Buffer) => { bytesIn += chunk.length; });
      req.pipe(upstream);
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  static async start(target: string): Promise<AwsCallCounter> {
    const counter = new AwsCallCounter(new URL(target));
    counter.#server.listen(0, '127.0.0.1');
    await once(counter.#server, 'listening');
    return counter;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.calls.clear();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }
}

/**
 * List prices, us-east-1, December 2026 (https://aws.amazon.com/sqs/pricing/,
 * https://aws.amazon.com/s3/pricing/, https://aws.amazon.com/dynamodb/pricing/on-demand/,
 * https://aws.amazon.com/eventbridge/pricing/, https://aws.amazon.com/lambda/pricing/), in $ per call.
 * DynamoDB on demand is priced per unit, not per call: a write is counted as 2 write units (a shard
 * item is about 1.2 KB) and a read as 1 read unit (a strongly consistent read of up to 4 KB) —
 * an approximation the report says.
 */
const PRICE_PER_CALL: Readonly<Record<string, number>> = {
  SQS: 0.40 / 1e6,
  'S3 GetObject': 0.0004 / 1e3,
  'S3 HeadObject': 0.0004 / 1e3,
  'S3 ListObjectsV2': 0.005 / 1e3,
  'S3 PutObject': 0.005 / 1e3,
  'S3 CreateMultipartUpload': 0.005 / 1e3,
  'S3 UploadPart': 0.005 / 1e3,
  'S3 CompleteMultipartUpload': 0.005 / 1e3,
  'S3 DeleteObject': 0,
  'S3 AbortMultipartUpload': 0,
  'DynamoDB write': 2 * 0.625 / 1e6,
  'DynamoDB read': 0.125 / 1e6,
  'EventBridge PutEvents': 1 / 1e6,
};
/** Lambda on arm64: $ per GB-second, and the GB of a function with one full vCPU (1,769 MB). */
const LAMBDA_ARM_GB_SECOND = 0.0000133334;
const ONE_VCPU_GB = 1769 / 1024;

const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** The list price of a tally of calls, in $. */
function priceOf(operation: string, tally: CallTally): number {
  if (operation.startsWith('SQS ')) return tally.billed * PRICE_PER_CALL.SQS!;
  if (operation.startsWith('DynamoDB ')) {
    return tally.count * (DYNAMODB_WRITES.has(operation.slice(9)) ? PRICE_PER_CALL['DynamoDB write']! : PRICE_PER_CALL['DynamoDB read']!);
  }
  return tally.count * (PRICE_PER_CALL[operation] ?? 0);
}

/** Lambda compute for `cpuSeconds` of work at one vCPU (a CPU-bound function's duration). */
function lambdaComputePrice(cpuSeconds: number): number {
  return cpuSeconds * ONE_VCPU_GB * LAMBDA_ARM_GB_SECOND;
}

export { AwsCallCounter, lambdaComputePrice, priceOf };
export type { CallTally };
