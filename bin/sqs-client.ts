import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The CLI's SQS client: AWS by default; with `endpoint`, a local SQS-protocol server, which accepts
 * any credentials (placeholders are used unless AWS_ACCESS_KEY_ID is set).
 */
function cliSqsClient(options: { endpoint?: string | undefined; region?: string | undefined }): SQSClient {
  return new SQSClient({
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.endpoint && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

export { cliSqsClient };
