import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StateKeys } from '../core/state-table.ts';
import type { RobotsStore, StoredRobots } from './robots-cache.ts';

/**
 * robots.txt shared by every environment: one item per origin in the state table
 * (core/state-table.ts), expiring with the robots.txt (DynamoDB TTL on `ttl`). One read per
 * origin per environment, one write per origin per day.
 */
class DynamoRobotsStore implements RobotsStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = table;
  }

  async get(origin: string): Promise<StoredRobots | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: StateKeys.robots(origin) }));
    const kind = Item?.kind as StoredRobots['kind'] | undefined;
    const expiresAt: unknown = Item?.expiresAt;
    if (typeof kind !== 'string' || typeof expiresAt !== 'number') return undefined;
    return { kind, expiresAt, ...(typeof Item?.text === 'string' ? { text: Item.text } : {}) };
  }

  async put(origin: string, robots: StoredRobots): Promise<void> {
    await this.#client.send(new PutCommand({
      TableName: this.#table,
      Item: { ...StateKeys.robots(origin), kind: robots.kind, expiresAt: robots.expiresAt, ttl: Math.ceil(robots.expiresAt / 1000), text: robots.text },
    }));
  }
}

export { DynamoRobotsStore };
