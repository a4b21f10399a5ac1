import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';
import { MemoryQueue } from '../../lib/queue/memory-queue.ts';
import type { QueueApi } from '../../lib/queue/queue-api.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';

interface TestQueue {
  readonly queue: QueueApi;
  readonly queueUrl: string;
  readonly queueArn: string;
}

/** A kind of queue the pipeline runs on; tests of the poller and pipeline run on each. */
interface QueueKind {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A new, empty queue. */
  create(visibilityTimeoutS?: number): Promise<TestQueue>;
}

let created = 0;

/** SQS over HTTP: the SDK client against a real SQS-protocol server (fauxqs) on 127.0.0.1. */
function sqsServerKind(): QueueKind {
  let sqs: EmbeddedSqs | undefined;
  return {
    name: 'SQS protocol (fauxqs)',
    async start() { sqs = await startEmbeddedSqs(); },
    async stop() { await sqs?.stop(); },
    async create(visibilityTimeoutS = 30) {
      const { queueUrl, queueArn } = await sqs!.createQueue(`q-${process.pid}-${++created}`, { VisibilityTimeout: String(visibilityTimeoutS) });
      return { queue: sqsQueueApi(sqs!.client), queueUrl, queueArn };
    },
  };
}

/** The local run's in-process queue. */
function memoryKind(): QueueKind {
  const queues: MemoryQueue[] = [];
  return {
    name: 'MemoryQueue',
    async start() {},
    async stop() { for (const queue of queues) queue.close(); },
    async create(visibilityTimeoutS = 30) {
      const queue = new MemoryQueue(`q-${++created}`, { visibilityTimeoutS });
      queues.push(queue);
      return { queue, queueUrl: queue.queueUrl, queueArn: queue.queueArn };
    },
  };
}

/** `describe.each` rows: [name, kind]. */
const QUEUE_KINDS: [string, QueueKind][] = [sqsServerKind(), memoryKind()].map((kind) => [kind.name, kind]);

export { QUEUE_KINDS };
export type { QueueKind, TestQueue };
