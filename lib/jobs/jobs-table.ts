import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JOB_LISTING_INDEX, JOB_LISTING_KEY } from '../core/state-table.ts';

/**
 * Creates the state table as the BatchFetcher construct defines it (on-demand, `pk` and `sk`
 * strings, the sparse job-listing index), for local servers; an existing table is left as it is.
 */
async function createJobsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: JOB_LISTING_KEY.partition, AttributeType: 'S' }, { AttributeName: JOB_LISTING_KEY.sort, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{
        IndexName: JOB_LISTING_INDEX,
        KeySchema: [{ AttributeName: JOB_LISTING_KEY.partition, KeyType: 'HASH' }, { AttributeName: JOB_LISTING_KEY.sort, KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** The table's name when none is given (the local server's, and the CLI's default). */
const DEFAULT_JOBS_TABLE = 'batchfetch-jobs';

export { createJobsTable, DEFAULT_JOBS_TABLE };
