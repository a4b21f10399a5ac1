import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueApi } from './queue-api.ts';

/** The pipeline's queue calls over an SQS client (the SDK's own retries apply to each). */
function sqsQueueApi(client: SQSClient): QueueApi {
  return {
    receiveMessage: (input, options) => client.send(new ReceiveMessageCommand(input), options ?? {}),
    deleteMessageBatch: (input) => client.send(new DeleteMessageBatchCommand(input)),
    changeMessageVisibilityBatch: (input) => client.send(new ChangeMessageVisibilityBatchCommand(input)),
    sendMessageBatch: (input) => client.send(new SendMessageBatchCommand(input)),
  };
}

export { sqsQueueApi };
