import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Continuation } from './continuation.ts';

/** Continuation messages go to an SQS queue (in the default stack: the fetch queue itself). */
function sqsContinuation(client: SQSClient, queueUrl: string, maxHops: number): Continuation {
  return {
    maxHops,
    async send(body) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    },
  };
}

export { sqsContinuation };
