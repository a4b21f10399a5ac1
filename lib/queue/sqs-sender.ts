import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../engine/retry-policy.ts';
import { SQS_MAX_BATCH_ENTRIES, type QueueApi } from './queue-api.ts';
import { SQS_MAX_MESSAGE_BYTES } from './split-into-messages.ts';

const MAX_SEND_ATTEMPTS = 5;

interface SenderOptions {
  /** The queue's calls: `sqsQueueApi(client)` for SQS, or a `MemoryQueue`. */
  readonly queue: QueueApi;
  readonly queueUrl: string;
  /** SendMessageBatch calls in flight at most. @default 4 */
  readonly concurrency?: number;
}

/**
 * Buffers message bodies into SendMessageBatch calls (10 entries, 1 MiB), keeps a few calls in
 * flight, and sends again only the entries SQS reports as failed. `add` applies backpressure:
 * it resolves once the body is buffered or sent. `flush` resolves when everything was accepted
 * by SQS, and rejects when a call failed or entries still failed after 5 attempts (nothing is
 * dropped silently, nothing accepted is sent twice by us).
 */
class SqsSender {
  readonly #queue: QueueApi;
  readonly #queueUrl: string;
  readonly #concurrency: number;
  readonly #inFlight = new Set<Promise<void>>();
  #batch: string[] = [];
  #batchBytes = 0;
  // Boxed: a falsy rejection reason still counts as a failure.
  #failure: { readonly error: unknown } | undefined;
  sent = 0;

  constructor(options: SenderOptions) {
    this.#queue = options.queue;
    this.#queueUrl = options.queueUrl;
    this.#concurrency = options.concurrency ?? 4;
  }

  async add(body: string): Promise<void> {
    if (this.#failure) throw this.#failure.error;
    const bytes = Buffer.byteLength(body);
    if (this.#batch.length >= SQS_MAX_BATCH_ENTRIES || this.#batchBytes + bytes > SQS_MAX_MESSAGE_BYTES) await this.#dispatch();
    this.#batch.push(body);
    this.#batchBytes += bytes;
  }

  async flush(): Promise<void> {
    if (this.#batch.length > 0) await this.#dispatch();
    await Promise.all(this.#inFlight);
    if (this.#failure) throw this.#failure.error;
  }

  async #dispatch(): Promise<void> {
    while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
    const bodies = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    const call = this.#send(bodies).catch((error: unknown) => { this.#failure ??= { error }; });
    this.#inFlight.add(call);
    void call.finally(() => this.#inFlight.delete(call));
  }

  /**
   * Transport errors (throttling, 5xx, resets) are retried by the SDK's own retry strategy; when a
   * call still throws, SQS may have accepted some entries before the response was lost, so
   * nothing is sent again: the error is the sender's failure. Only entries SQS reports in `Failed`
   * (it did not take them) are sent again, with backoff.
   */
  async #send(bodies: string[]): Promise<void> {
    let pending = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { Failed: failed = [] } = await this.#queue.sendMessageBatch({ QueueUrl: this.#queueUrl, Entries: pending });
      // A sender fault (bad message) would fail the same way again: stop instead of retrying.
      const senderFault = failed.find((entry) => entry.SenderFault);
      if (senderFault) throw new Error(`SQS refused a message: ${senderFault.Code} ${senderFault.Message ?? ''}`.trim());
      const failedIds = new Set(failed.map((entry) => entry.Id!));
      this.sent += pending.length - failedIds.size;
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      if (pending.length > 0) {
        if (attempt >= MAX_SEND_ATTEMPTS) throw new Error(`${pending.length} messages could not be sent after ${attempt} attempts`);
        await sleep(backoffDelay(attempt - 1, 100, 2_000, Math.random));
      }
    }
  }
}

export { SqsSender };
