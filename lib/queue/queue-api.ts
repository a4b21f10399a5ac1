import type {
  ChangeMessageVisibilityBatchRequest,
  ChangeMessageVisibilityBatchResult,
  DeleteMessageBatchRequest,
  DeleteMessageBatchResult,
  ReceiveMessageRequest,
  ReceiveMessageResult,
  SendMessageBatchRequest,
  SendMessageBatchResult,
} from '@aws-sdk/client-sqs';

/**
 * Entries per batch call (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch) and
 * messages per ReceiveMessage, at most; a SendMessageBatch also holds 1 MiB at most in all
 * (Amazon SQS API Reference, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
 */
const SQS_MAX_BATCH_ENTRIES = 10;

/**
 * The four SQS calls the pipeline makes (the poller receives, deletes and releases; the sender
 * sends), with SQS's own request and result shapes. Two implementations: `sqsQueueApi` (an
 * @aws-sdk/client-sqs client: a deployment's queue, or an emulator such as `batchfetch local-sqs`)
 * and `MemoryQueue` (the local run's queue, in process). The poller and sender depend on this
 * interface only, so code that never talks to SQS never loads the SDK.
 */
interface QueueApi {
  receiveMessage(input: ReceiveMessageRequest, options?: { abortSignal?: AbortSignal }): Promise<ReceiveMessageResult>;
  deleteMessageBatch(input: DeleteMessageBatchRequest): Promise<DeleteMessageBatchResult>;
  changeMessageVisibilityBatch(input: ChangeMessageVisibilityBatchRequest): Promise<ChangeMessageVisibilityBatchResult>;
  sendMessageBatch(input: SendMessageBatchRequest): Promise<SendMessageBatchResult>;
}

export { SQS_MAX_BATCH_ENTRIES };
export type { QueueApi };
