import type {
  ChangeMessageVisibilityBatchRequest,
  DeleteMessageBatchRequest,
  Message,
  ReceiveMessageRequest,
  SendMessageBatchRequest,
} from '@aws-sdk/client-sqs';
import { SQS_MAX_BATCH_ENTRIES, type QueueApi } from './queue-api.ts';
import { SQS_MAX_MESSAGE_BYTES } from './split-into-messages.ts';
import { BatchfetchError } from '../core/errors.ts';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The receipt handle of the latest receive; only it, while in flight, deletes or releases the message. */
  receipt?: string;
  /** Returns the message to the queue when its visibility timeout ends. */
  timer?: NodeJS.Timeout;
}

interface Waiter {
  readonly max: number;
  readonly visibilityS: number;
  readonly resolve: (messages: Message[]) => void;
  readonly done: () => void;
}

class QueueInputError extends BatchfetchError {
  override readonly name = 'QueueInputError';
  constructor(message: string) {
    super('INVALID_QUEUE_REQUEST', message);
  }
}

/**
 * A standard SQS queue held in this process, for the local run: the same calls and results as
 * SQS (QueueApi), with SQS's semantics where the pipeline relies on them
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html):
 * a received message is invisible for the visibility timeout and comes back unless deleted; each
 * receive gives a new receipt handle, and only the latest deletes or changes visibility; a long
 * poll returns as soon as a message is visible; ApproximateReceiveCount counts deliveries.
 * Unlike SQS it delivers in order and never twice at once, which the pipeline does not rely on.
 * No HTTP, no SDK, no serialisation: the local run's queue costs microseconds per message.
 */
class MemoryQueue implements QueueApi {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly #visibilityS: number;
  /** Visible messages, oldest first; `#head` indexes the next to receive. */
  #visible: StoredMessage[] = [];
  #head = 0;
  readonly #inFlight = new Map<string, StoredMessage>();
  readonly #waiters: Waiter[] = [];
  #nextId = 0;
  #serving = false;

  constructor(name = 'batchfetch-local', options: { visibilityTimeoutS?: number } = {}) {
    this.queueUrl = `memory://${name}`;
    this.queueArn = `arn:aws:sqs:local:000000000000:${name}`;
    this.#visibilityS = options.visibilityTimeoutS ?? 30;
  }

  /** Messages waiting to be received, and received but not yet deleted. */
  get counts(): { visible: number; inFlight: number } {
    return { visible: this.#visibleCount, inFlight: this.#inFlight.size };
  }

  get #visibleCount(): number {
    return this.#visible.length - this.#head;
  }

  async sendMessageBatch(input: SendMessageBatchRequest) {
    const entries = input.Entries ?? [];
    if (entries.length === 0 || entries.length > SQS_MAX_BATCH_ENTRIES) throw new QueueInputError(`a batch holds 1 to ${SQS_MAX_BATCH_ENTRIES} entries, not ${entries.length}`);
    const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''), 0);
    if (bytes > SQS_MAX_MESSAGE_BYTES) throw new QueueInputError(`a batch holds ${SQS_MAX_MESSAGE_BYTES} bytes at most, not ${bytes}`);
    const now = Date.now();
    const Successful = entries.map((entry) => {
      const message: StoredMessage = { id: `m-${++this.#nextId}`, body: entry.MessageBody ?? '', sentAt: now, receiveCount: 0 };
      this.#makeVisible(message);
      return { Id: entry.Id!, MessageId: message.id, MD5OfMessageBody: '' };
    });
    return { Successful, Failed: [] };
  }

  async receiveMessage(input: ReceiveMessageRequest, options: { abortSignal?: AbortSignal } = {}) {
    const signal = options.abortSignal;
    signal?.throwIfAborted();
    const max = Math.min(input.MaxNumberOfMessages ?? 1, SQS_MAX_BATCH_ENTRIES);
    const visibilityS = input.VisibilityTimeout ?? this.#visibilityS;
    const waitS = input.WaitTimeSeconds ?? 0;
    if (this.#visibleCount > 0 || waitS <= 0) return { Messages: this.#take(max, visibilityS) };
    // Long poll: the first message made visible (sent, released, timed out) ends the wait.
    const Messages = await new Promise<Message[]>((resolve, reject) => {
      const waiter: Waiter = {
        max,
        visibilityS,
        resolve: (messages) => { waiter.done(); resolve(messages); },
        done: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const at = this.#waiters.indexOf(waiter);
          if (at !== -1) this.#waiters.splice(at, 1);
        },
      };
      const timer = setTimeout(() => waiter.resolve([]), waitS * 1000);
      const onAbort = () => { waiter.done(); reject(signal!.reason as Error); };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
    return { Messages };
  }

  async deleteMessageBatch(input: DeleteMessageBatchRequest) {
    return this.#forEachReceipt(input.Entries ?? [], (message) => {
      clearTimeout(message.timer);
      this.#inFlight.delete(message.id);
    });
  }

  async changeMessageVisibilityBatch(input: ChangeMessageVisibilityBatchRequest) {
    return this.#forEachReceipt(input.Entries ?? [], (message, entry) => {
      clearTimeout(message.timer);
      const seconds = entry.VisibilityTimeout ?? 0;
      if (seconds <= 0) {
        this.#inFlight.delete(message.id);
        this.#makeVisible(message);
      } else {
        message.timer = this.#hideFor(message, seconds);
      }
    });
  }

  /** Ends every pending long poll (empty) and every visibility timer: the queue is dropped. */
  close(): void {
    for (const waiter of [...this.#waiters]) waiter.resolve([]);
    for (const message of this.#inFlight.values()) clearTimeout(message.timer);
  }

  /** Applies `apply` to each entry's message when its receipt handle is the latest; the others fail, as in SQS. */
  #forEachReceipt<E extends { Id?: string; ReceiptHandle?: string }>(entries: readonly E[], apply: (message: StoredMessage, entry: E) => void) {
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const entry of entries) {
      const message = this.#inFlight.get(entry.ReceiptHandle?.split('#')[0] ?? '');
      if (message && message.receipt === entry.ReceiptHandle) {
        apply(message, entry);
        Successful.push({ Id: entry.Id! });
      } else {
        Failed.push({ Id: entry.Id!, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'the receipt handle is not the latest of an in-flight message' });
      }
    }
    return { Successful, Failed };
  }

  #makeVisible(message: StoredMessage): void {
    this.#visible.push(message);
    if (this.#waiters.length > 0 && !this.#serving) {
      // Served after the current call: a batch sent at once is received together, as from SQS.
      this.#serving = true;
      queueMicrotask(() => {
        this.#serving = false;
        while (this.#waiters.length > 0 && this.#visibleCount > 0) {
          const waiter = this.#waiters[0]!;
          waiter.resolve(this.#take(waiter.max, waiter.visibilityS));
        }
      });
    }
  }

  #take(max: number, visibilityS: number): Message[] {
    const taken: Message[] = [];
    const now = Date.now();
    while (taken.length < max && this.#head < this.#visible.length) {
      const message = this.#visible[this.#head++]!;
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receipt = `${message.id}#${message.receiveCount}`;
      message.timer = this.#hideFor(message, visibilityS);
      this.#inFlight.set(message.id, message);
      taken.push({
        MessageId: message.id,
        ReceiptHandle: message.receipt,
        Body: message.body,
        Attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        },
      });
    }
    // Drop the consumed prefix now and then instead of shifting the array per message.
    if (this.#head > 1024 && this.#head * 2 > this.#visible.length) {
      this.#visible = this.#visible.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** In flight for `seconds`, then visible again (a consumer that never deleted it died). */
  #hideFor(message: StoredMessage, seconds: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.#inFlight.get(message.id) !== message) return;
      this.#inFlight.delete(message.id);
      this.#makeVisible(message);
    }, seconds * 1000);
    timer.unref();
    return timer;
  }
}

export { MemoryQueue, QueueInputError };
