import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_JOBS_TABLE } from '../lib/jobs/jobs-table.ts';
import { JobStore } from '../lib/jobs/job-store.ts';

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
  --jobs-table NAME      the jobs table (the stack's JobsTable output; default
                         ${DEFAULT_JOBS_TABLE} with --dynamodb-endpoint)
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

const sqsClientFrom = (values: ConnectionValues): SQSClient => new SQSClient(clientConfig(values.endpoint, values.region));

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
