import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { listenOnHost } from './listen-on-host.ts';

interface EmbeddedSqs {
  readonly client: SQSClient;
  readonly endpoint: string;
  createQueue(name: string, attributes?: Record<string, string>): Promise<{ queueUrl: string; queueArn: string }>;
  /** The same server speaks S3 (path-style); used by tests of the S3 sink and sources. */
  createBucket(name: string): void;
  stop(): Promise<void>;
}

/**
 * A real SQS-protocol server (fauxqs) started in this process, listening on `host` only
 * (127.0.0.1 unless asked otherwise), and an SDK client for it: the local run makes the same
 * @aws-sdk/client-sqs calls a deployment makes.
 */
async function startEmbeddedSqs(port = 0, host = '127.0.0.1'): Promise<EmbeddedSqs> {
  const server = await listenOnHost(host, () => startFauxqs({ port, host, logger: false }));
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    // fauxqs accepts any credentials; these keep the SDK from searching for real ones.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // MD5 checks of message bodies guard a network path; on loopback they only cost CPU.
    md5: false,
  });
  return {
    client,
    endpoint,
    async createQueue(name, attributes = {}) {
      const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      // Queue URLs name a *.localhost host; the client always talks to `endpoint` itself.
      const queueUrl = created.QueueUrl!;
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
      return { queueUrl, queueArn: Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${name}` };
    },
    createBucket(name) {
      server.createBucket(name);
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

export { startEmbeddedSqs };
export type { EmbeddedSqs };
