import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Creates the jobs table as the BatchFetcher construct defines it (on-demand, `pk` and `sk`
 * strings), for local servers; an existing table is left as it is.
 */
async function createJobsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** The table's name when none is given (the local server's, and the CLI's default). */
const DEFAULT_JOBS_TABLE = 'batchfetch-jobs';

export { createJobsTable, DEFAULT_JOBS_TABLE };
