import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_JOBS_TABLE } from '../lib/jobs/jobs-table.ts';
import { JobStore } from '../lib/jobs/job-store.ts';
import { UsageError } from './usage-error.ts';

/** The connection flags `enqueue`, `worker` and the job commands share (parseArgs specs). */
const CONNECTION_FLAGS = {
  endpoint: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  'jobs-table': { type: 'string' },
  region: { type: 'string' },
} as const;

const CONNECTION_FLAGS_USAGE = `  --endpoint URL         an SQS- and S3-compatible endpoint (batchfetch local-sqs), instead
                         of AWS; placeholder credentials are used unless AWS_ACCESS_KEY_ID is set
  --dynamodb-endpoint URL  a DynamoDB-compatible endpoint (batchfetch local-sqs prints it)
  --jobs-table NAME      the jobs table (pass the stack's JobsTableName output; default
                         ${DEFAULT_JOBS_TABLE} with --dynamodb-endpoint, else none)
  --region REGION        AWS region (default: AWS_REGION, else us-east-1)`;

interface ConnectionValues {
  readonly endpoint?: string | undefined;
  readonly 'dynamodb-endpoint'?: string | undefined;
  readonly 'jobs-table'?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * SDK clients from the connection flags: AWS by default; with an endpoint, a local server,
 * which accepts any credentials (placeholders unless AWS_ACCESS_KEY_ID is set).
 */
function clientConfig(endpoint: string | undefined, region: string | undefined) {
  return {
    region: region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  };
}

/**
 * The SQS client for `--queue-url`. A queue on this machine (local-sqs prints URLs such as
 * http://sqs.us-east-1.127.0.0.1:4566/…) reached without `--endpoint` would go to AWS with the
 * default credential chain and fail there (CredentialsProviderError): say what to pass instead.
 */
function sqsClientFrom(values: ConnectionValues & { readonly 'queue-url'?: string | undefined }): SQSClient {
  const local = values.endpoint === undefined && values['queue-url'] !== undefined ? localAuthority(values['queue-url']) : undefined;
  if (local !== undefined) {
    throw new UsageError(`--queue-url ${values['queue-url']} is a queue on this machine: pass --endpoint too (the endpoint batchfetch local-sqs printed, e.g. --endpoint http://127.0.0.1:${local.port ?? '4566'})`);
  }
  return new SQSClient(clientConfig(values.endpoint, values.region));
}

/**
 * The host and port of a URL on this machine: localhost, a loopback address, or a name ending in
 * one (fauxqs: sqs.REGION.127.0.0.1, which WHATWG URL refuses: a last label that is a number
 * makes the host an IPv4 address, https://url.spec.whatwg.org/#ends-in-a-number-checker);
 * undefined for any other URL.
 */
function localAuthority(text: string): { readonly host: string; readonly port: string | undefined } | undefined {
  const match = /^https?:\/\/(\[[^\]]*\]|[^/:?#]+)(?::(\d+))?/i.exec(text);
  if (!match) return undefined;
  const host = match[1]!.toLowerCase();
  const local = host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /(^|\.)127\.\d+\.\d+\.\d+$/.test(host);
  return local ? { host, port: match[2] } : undefined;
}

const s3ClientFrom = (values: ConnectionValues): S3Client =>
  new S3Client({ ...clientConfig(values.endpoint, values.region), ...(values.endpoint ? { forcePathStyle: true } : {}) });

/** The jobs table named by the flags, if any: `--jobs-table`, or the default one of a local endpoint. */
function jobsTableFrom(values: ConnectionValues): string | undefined {
  return values['jobs-table'] ?? (values['dynamodb-endpoint'] ? DEFAULT_JOBS_TABLE : undefined);
}

function jobStoreFrom(values: ConnectionValues): { store: JobStore; client: DynamoDBClient; table: string } | undefined {
  const table = jobsTableFrom(values);
  if (!table) return undefined;
  const client = new DynamoDBClient(clientConfig(values['dynamodb-endpoint'], values.region));
  return { store: new JobStore(client, table), client, table };
}

export { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, jobStoreFrom, s3ClientFrom, sqsClientFrom };
export type { ConnectionValues };
