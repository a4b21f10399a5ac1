import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TokenSource } from './host-gate.ts';
import type { RobotsStore } from './robots-cache.ts';
import { DynamoRateLeases } from './rate-leases.ts';
import { DynamoRobotsStore } from './robots-store.ts';

/**
 * The two stores that make hosts' rate limits and robots.txt hold across environments sharing
 * `table`, named as the engine's options name them (`hostTokens`, `robotsStore`).
 */
function sharedPoliteness(client: DynamoDBClient, table: string): { readonly hostTokens: TokenSource; readonly robotsStore: RobotsStore } {
  return { hostTokens: new DynamoRateLeases(client, table), robotsStore: new DynamoRobotsStore(client, table) };
}

export { sharedPoliteness };
