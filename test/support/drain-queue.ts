import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Receives and deletes every message on a queue (bounded: at most `maxRounds` empty-or-not polls). */
async function drainQueue(client: SQSClient, queueUrl: string, maxRounds = 200): Promise<string[]> {
  const bodies: string[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) break;
    bodies.push(...Messages.map((m) => m.Body!));
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return bodies;
}

export { drainQueue };
