import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, StateKeys } from '../core/state-table.ts';
import type { TokenSource } from './host-gate.ts';

/** Window items expire an hour after their window (DynamoDB TTL on `ttl`). */
const WINDOW_TTL_S = 3_600;

/**
 * A host's request rate shared by every environment: time is cut into windows (1 s, or 1/rate s
 * for rates below 1/s), and each window's requests are counted in one DynamoDB item
 * (core/state-table.ts). An environment takes a few tokens at once with one
 * conditional `ADD` that succeeds only while the window has room, so the fleet together never
 * starts more than the rate (plus clock skew between environments) and no environment writes once
 * per request. Only hosts with a rate rule use it: others cost nothing.
 */
class DynamoRateLeases implements TokenSource {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(client: DynamoDBClient, table: string, now: () => number = Date.now) {
    this.#client = DynamoDBDocumentClient.from(client);
    this.#table = table;
    this.#now = now;
  }

  async lease(host: string, rate: number, want: number): Promise<{ granted: number; retryAt: number }> {
    const windowMs = rate >= 1 ? 1_000 : Math.ceil(1 / rate) * 1_000;
    const capacity = Math.max(1, Math.floor((rate * windowMs) / 1_000));
    const now = this.#now();
    const window = Math.floor(now / windowMs);
    const retryAt = (window + 1) * windowMs;
    for (const take of want > 1 ? [Math.min(want, capacity), 1] : [1]) {
      try {
        await this.#client.send(new UpdateCommand({
          TableName: this.#table,
          Key: StateKeys.rateWindow(host, windowMs, window),
          UpdateExpression: 'ADD #used :take SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#used) OR #used <= :room',
          ExpressionAttributeNames: { '#used': 'used', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':take': take, ':room': capacity - take, ':ttl': Math.floor(retryAt / 1000) + WINDOW_TTL_S,
          },
        }));
        return { granted: take, retryAt };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return { granted: 0, retryAt };
  }
}

export { DynamoRateLeases };
