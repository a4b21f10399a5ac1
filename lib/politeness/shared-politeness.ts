import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FetchEngineOptions } from '../options.ts';
import { DynamoRateLeases } from './rate-leases.ts';
import { DynamoRobotsStore } from './robots-store.ts';

/** Engine options that make hosts' rate limits and robots.txt hold across environments sharing `table`. */
function sharedPoliteness(client: DynamoDBClient, table: string): Pick<FetchEngineOptions, 'hostTokens' | 'robotsStore'> {
  return { hostTokens: new DynamoRateLeases(client, table), robotsStore: new DynamoRobotsStore(client, table) };
}

export { sharedPoliteness };
