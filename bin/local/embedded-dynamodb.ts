import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createJobsTable, DEFAULT_JOBS_TABLE } from '../../lib/jobs/jobs-table.ts';

interface EmbeddedDynamoDb {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly table: string;
  stop(): Promise<void>;
}

/**
 * A real DynamoDB-protocol server (dynalite, in memory) started in this process on `host` only
 * (127.0.0.1 unless asked), with the jobs table created: what `local-sqs` serves for jobs.
 */
async function startEmbeddedDynamoDb(port = 0, host = '127.0.0.1', table = DEFAULT_JOBS_TABLE): Promise<EmbeddedDynamoDb> {
  // Loaded on demand: only local-sqs and tests serve DynamoDB, and `run` should not pay for it.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(port, host);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  // dynalite accepts any credentials; these keep the SDK from searching for real ones.
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createJobsTable(client, table);
  return {
    client,
    endpoint,
    table,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { startEmbeddedDynamoDb };
export type { EmbeddedDynamoDb };
