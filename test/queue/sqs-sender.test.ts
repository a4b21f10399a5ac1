import { GetQueueAttributesCommand, SQSClient, type SendMessageBatchCommandInput, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { SqsSender } from '../../lib/queue/sqs-sender.ts';
import { sqsQueueApi } from '../../lib/queue/sqs-queue-api.ts';
import { startEmbeddedSqs, type EmbeddedSqs } from '../../bin/local/embedded-sqs.ts';

/*
 * Faults are injected into a real SDK client talking to a real SQS-protocol server: the response
 * to a call SQS accepted is lost, or SQS declines some entries of a batch.
 */
describe('SqsSender', () => {
  let sqs: EmbeddedSqs;
  let queues = 0;

  beforeAll(async () => {
    sqs = await startEmbeddedSqs();
  });

  afterAll(async () => {
    await sqs.stop();
  });

  const client = () => new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
  const queued = async (queueUrl: string) => {
    const { Attributes } = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes?.ApproximateNumberOfMessages);
  };
  const newQueue = async () => (await sqs.createQueue(`send-${Date.now()}-${(queues += 1)}`)).queueUrl;

  test('a call whose response is lost after SQS took the batch is not sent again: the sender fails, nothing is duplicated', async () => {
    const queueUrl = await newQueue();
    const faulty = client();
    faulty.middlewareStack.add((next) => async (args) => {
      await next(args);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
    }, { step: 'initialize' });
    const sender = new SqsSender({ queue: sqsQueueApi(faulty), queueUrl });

    for (let i = 0; i < 10; i++) await sender.add(`{"urls":["https://e.example/${i}"]}`);

    await expect(sender.flush()).rejects.toThrow('socket hang up');
    expect(await queued(queueUrl)).toBe(10);
    faulty.destroy();
  });

  test('entries SQS declines are sent again, and only those', async () => {
    const queueUrl = await newQueue();
    const declining = client();
    let calls = 0;
    const entriesPerCall: number[] = [];
    declining.middlewareStack.add((next) => async (args) => {
      const input = args.input as SendMessageBatchCommandInput;
      calls += 1;
      entriesPerCall.push(input.Entries!.length);
      if (calls > 1) return next(args);
      // The first call: SQS takes 7 entries and declines 3 (as with an internal error per entry).
      const declined = input.Entries!.slice(7);
      const result = await next({ ...args, input: { ...input, Entries: input.Entries!.slice(0, 7) } });
      const output = result.output as SendMessageBatchCommandOutput;
      output.Failed = declined.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError' }));
      return result;
    }, { step: 'initialize' });
    const sender = new SqsSender({ queue: sqsQueueApi(declining), queueUrl });

    for (let i = 0; i < 10; i++) await sender.add(`{"urls":["https://e.example/${i}"]}`);
    await sender.flush();

    expect(entriesPerCall).toStrictEqual([10, 3]);
    expect(sender.sent).toBe(10);
    expect(await queued(queueUrl)).toBe(10);
    declining.destroy();
  });
});
