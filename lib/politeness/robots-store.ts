import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RobotsStore, StoredRobots } from './robots-cache.ts';

/**
 * robots.txt shared by every environment: one item per origin (`robots#<origin>` / `robots`) in
 * the state table, expiring with the robots.txt (DynamoDB TTL on `ttl`). One read per origin per
 * environment, one write per origin per day.
 */
class DynamoRobotsStore implements RobotsStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async get(origin: string): Promise<StoredRobots | undefined> {
    const { Item } = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: { S: `robots#${origin}` }, sk: { S: 'robots' } } }));
    if (!Item?.kind?.S || !Item.expiresAt?.N) return undefined;
    return {
      kind: Item.kind.S as StoredRobots['kind'],
      expiresAt: Number(Item.expiresAt.N),
      ...(Item.text?.S === undefined ? {} : { text: Item.text.S }),
    };
  }

  async put(origin: string, robots: StoredRobots): Promise<void> {
    await this.#client.send(new PutItemCommand({
      TableName: this.#table,
      Item: {
        pk: { S: `robots#${origin}` }, sk: { S: 'robots' }, kind: { S: robots.kind }, expiresAt: { N: String(robots.expiresAt) },
        ttl: { N: String(Math.ceil(robots.expiresAt / 1000)) },
        ...(robots.text === undefined ? {} : { text: { S: robots.text } }),
      },
    }));
  }
}

export { DynamoRobotsStore };
